import { simpleParser, ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server (smtp-server) in the test process that keeps every message it accepts. */
export interface SmtpSink {
  url: string;
  messages: ParsedMail[];
  /** Every RCPT TO address the sink was given (the envelope, whatever the headers say). */
  envelope: string[];
  /** Messages whose DATA has been received but not yet answered (held). */
  held(): number;
  /** Answers an SMTP code >= 500 (a permanent failure) at RCPT for these addresses. */
  reject(address: string, code?: number): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Holds each message this long after its DATA before answering 250 (a slow provider). */
  holdMs?: number;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const envelope: string[] = [];
  const rejected = new Map<string, number>();
  let holding = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      envelope.push(address.address);
      const code = rejected.get(address.address.toLowerCase());
      if (code) return callback(Object.assign(new Error(`${address.address}: mailbox unavailable`), { responseCode: code }));
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (options.holdMs) {
            holding++;
            await new Promise((r) => setTimeout(r, options.holdMs));
            holding--;
          }
          messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  // A client that dies mid-session (a killed worker) resets its connection: not the sink's failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    envelope,
    held: () => holding,
    reject: (address, code = 550) => rejected.set(address.toLowerCase(), code),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

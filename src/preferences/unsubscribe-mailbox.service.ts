import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer, SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { ApiError } from '../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { SecretsService } from '../messages/secrets.service';
import { PreferencesService } from './preferences.service';
import { verifyUnsubscribeToken } from './unsubscribe-tokens';

/** A message larger than this is refused (552): an unsubscribe request is a subject line. */
export const MAILBOX_MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_CLIENTS = 100;
const SOCKET_TIMEOUT_MS = 30_000;

type SmtpCallback = (err?: Error | null) => void;
const smtpError = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

/** `a***@example.com`, `u***`: enough to tell entries apart in a log, never the whole address or id. */
export function maskIdentifier(value: string): string {
  const at = value.lastIndexOf('@');
  return at > 0 ? `${value[0]}***${value.slice(at)}` : `${value.slice(0, 1)}***`;
}

/** The token in a subject `unsubscribe <token>` (what the List-Unsubscribe mailto: asks for), else null. */
export function tokenFromSubject(subject: string | undefined): string | null {
  const m = /^\s*(?:(?:re|fwd?|aw|sv|wg)\s*:\s*)*unsubscribe\s+([\s\S]+)$/i.exec(subject ?? '');
  // Folding and encoded-word splits may put whitespace inside a long subject; a token has none.
  const token = m?.[1].replace(/\s+/g, '');
  return token && token.length <= 4096 ? token : null;
}

/**
 * The inbound unsubscribe mailbox (RFC 2369 `mailto:` in List-Unsubscribe): a small SMTP server
 * run by the API process when UNSUBSCRIBE_MAILBOX is set. It takes mail only for that address
 * (any other RCPT: 550), at most 64 KB a message, no AUTH and no STARTTLS (it faces the MX, like
 * any inbound mailbox; TLS termination and spam filtering belong in front of it). The Subject
 * `unsubscribe <token>` carries the same signed token as the one-click link: a valid one opts
 * that user out of that topic (source `mail`). An invalid one is accepted and ignored (250) so
 * the listener tells a sender nothing about tokens; nothing logged names a token or a whole
 * address.
 */
@Injectable()
export class UnsubscribeMailboxService implements OnModuleDestroy {
  private readonly logger = new Logger('UnsubscribeMailbox');
  private server?: SMTPServer;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secrets: SecretsService,
    private readonly preferences: PreferencesService,
  ) {}

  /** Starts listening when the mailbox is configured; the bound port (INBOUND_SMTP_PORT=0 picks a free one), or null. */
  async start(): Promise<number | null> {
    const mailbox = this.config.unsubscribeMailbox;
    if (!mailbox) return null;
    if (this.server) return (this.server.server.address() as AddressInfo).port;
    const server = new SMTPServer({
      name: mailbox.address.slice(mailbox.address.indexOf('@') + 1),
      banner: 'Herald unsubscribe mailbox',
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideSTARTTLS: true,
      size: MAILBOX_MAX_MESSAGE_BYTES,
      maxClients: MAX_CLIENTS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      closeTimeout: 5_000,
      onRcptTo: (address, session, callback) => this.onRcptTo(address, session, callback),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    // A client that drops its connection is its own problem, not the process's.
    server.on('error', (err) => this.logger.debug(`SMTP connection error: ${(err as Error).message}`));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(mailbox.port, mailbox.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const port = (server.server.address() as AddressInfo).port;
    this.logger.log(`unsubscribe mailbox listening on ${mailbox.host}:${port}`);
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Before the database pool closes (onApplicationShutdown): no mail is taken that could not be applied. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  private onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: SmtpCallback): void {
    if (address.address.toLowerCase() === this.config.unsubscribeMailbox?.address) return callback();
    callback(smtpError('5.1.1 no such mailbox here', 550));
  }

  private onData(stream: Readable, _session: SMTPServerSession, callback: SmtpCallback): void {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAILBOX_MAX_MESSAGE_BYTES) chunks.push(chunk);
    });
    stream.once('error', (err) => callback(err));
    stream.once('end', () => {
      if (size > MAILBOX_MAX_MESSAGE_BYTES || (stream as Readable & { sizeExceeded?: boolean }).sizeExceeded) {
        return callback(smtpError(`5.3.4 message larger than ${MAILBOX_MAX_MESSAGE_BYTES} bytes`, 552));
      }
      this.handle(Buffer.concat(chunks)).then(
        () => callback(),
        (err) => {
          // The database is away: 451 makes the sending MTA try again later.
          this.logger.warn(`unsubscribe by mail could not be applied now: ${(err as Error).message}`);
          callback(smtpError('4.3.0 try again later', 451));
        },
      );
    });
  }

  /** Applies the request in one message; resolves (250) for anything that is not a valid token. */
  private async handle(raw: Buffer): Promise<void> {
    let subject: string | undefined;
    try {
      subject = (await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true })).subject;
    } catch {
      this.logger.debug('unsubscribe mail ignored: not a parsable message');
      return;
    }
    const token = tokenFromSubject(subject);
    const claims = token ? verifyUnsubscribeToken(token, await this.secrets.trackingSecret()) : null;
    if (!claims) {
      this.logger.debug(`unsubscribe mail ignored: ${token ? 'the token does not verify' : 'no "unsubscribe <token>" subject'}`);
      return;
    }
    try {
      await this.preferences.put(claims.w, claims.u, claims.t, { topic: { status: 'OPTED_OUT' } }, 'mail');
    } catch (err) {
      // The topic (or workspace) is gone since the email was sent: nothing to opt out of.
      if (err instanceof ApiError && err.getStatus() === 404) {
        this.logger.debug(`unsubscribe mail ignored: topic ${JSON.stringify(claims.t)} no longer exists in workspace ${claims.w}`);
        return;
      }
      throw err;
    }
    this.logger.log(`user ${maskIdentifier(claims.u)} in workspace ${claims.w} unsubscribed from topic ${JSON.stringify(claims.t)} by mail`);
  }
}

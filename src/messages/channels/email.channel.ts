import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { isSingleEmailAddress } from './email-address';
import { Readable } from 'node:stream';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { ChannelError, ChannelReceipt, ChannelSend, ChannelTransport } from './channel.types';

/**
 * Email over SMTP (nodemailer). Without SMTP_URL, messages are printed to the log instead, so the
 * embedded setup works with no mail server. The Herald message id travels as the email's
 * Message-ID (and X-Herald-Message-Id), the idempotency key a receiving system can dedupe on.
 */
@Injectable()
export class EmailChannel implements ChannelTransport, OnApplicationShutdown {
  private readonly logger = new Logger('EmailChannel');
  private readonly transport: Transporter;
  readonly provider: 'smtp' | 'log';

  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {
    const smtp = config.delivery.smtpUrl;
    this.provider = smtp ? 'smtp' : 'log';
    this.transport = smtp
      ? createTransport(`${smtp}${smtp.includes('?') ? '&' : '?'}connectionTimeout=10000&greetingTimeout=10000&socketTimeout=30000`)
      : createTransport({ jsonTransport: true });
  }

  async send(message: ChannelSend): Promise<ChannelReceipt> {
    if (!message.address) throw new ChannelError('no email address', false);
    // nodemailer reads address lists and group syntax: only one plain address may reach it.
    if (!isSingleEmailAddress(message.address)) throw new ChannelError('the email address is not one plain address', false);
    const content = message.content as { subject?: string; html?: string; text?: string; headers?: Record<string, string> };
    const mail = {
      from: this.config.delivery.from,
      to: message.address,
      subject: content.subject ?? '',
      html: content.html,
      text: content.text,
      messageId: emailMessageId(message.workspaceId, message.messageId),
      // List-Unsubscribe(-Post) when the message's topic may be left (set at prepare).
      headers: { ...(content.headers ?? {}), 'X-Herald-Message-Id': message.messageId },
    };
    try {
      const info =
        this.provider === 'log'
          ? await this.transport.sendMail(mail)
          : await this.transport.sendMail({ envelope: { from: addressOf(mail.from), to: [message.address] }, raw: await this.withCommitPoint(mail, message.commit) });
      if (this.provider === 'log') {
        // The message itself (personal data) only at debug level.
        this.logger.log(`email ${message.messageId} (no SMTP_URL configured: not sent; LOG_LEVEL=debug prints it)`);
        this.logger.debug(`email ${message.messageId}: ${info.message}`);
        return { provider: 'log', response: 'printed to the log', delivered: false };
      }
      return { provider: 'smtp', response: String(info.response ?? 'accepted'), delivered: false };
    } catch (err) {
      const e = err as { responseCode?: number; message?: string; code?: string; command?: string };
      // 5xx SMTP replies are permanent (bad address, rejected); connection trouble and 4xx may pass later.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      // A bounce is about the recipient (refused at RCPT, or the message refused at DATA), not the
      // sender's setup (a 5xx at AUTH or MAIL FROM suppresses nobody).
      const bounced = permanent && (e.command === 'RCPT TO' || e.command === 'DATA' || e.code === 'EENVELOPE');
      throw new ChannelError(`smtp: ${e.message ?? String(err)}`, !permanent, bounced);
    }
  }

  /**
   * The message as a stream that holds back its last byte until `commit` has run. nodemailer
   * reads it only once the server is in DATA, so dying before the commit leaves the message
   * unfinished (the server discards it) and it is safe to send again.
   */
  private async withCommitPoint(mail: ConstructorParameters<typeof MailComposer>[0], commit?: () => Promise<void>): Promise<Readable> {
    const raw = await new MailComposer(mail).compile().build();
    let reads = 0;
    return new Readable({
      read() {
        reads++;
        if (reads === 1) {
          this.push(raw.subarray(0, raw.length - 1));
        } else if (reads === 2) {
          (commit ?? (async () => undefined))().then(
            () => {
              this.push(raw.subarray(raw.length - 1));
              this.push(null);
            },
            (err) => this.destroy(err as Error),
          );
        }
      },
    });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}

/** RFC 5322 Message-ID from the Herald message id (characters outside dot-atom become '-'). */
export function emailMessageId(workspaceId: string, messageId: string): string {
  const local = `${workspaceId}.${messageId}`.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '-').replace(/\.{2,}/g, '.');
  return `<${local}@herald>`;
}

/** The bare address of "Name <addr>" (the SMTP envelope wants only the address). */
function addressOf(from: string): string {
  const match = /<([^>]+)>/.exec(from);
  return match ? match[1] : from.trim();
}

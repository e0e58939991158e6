import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { DestinationRefusedError, HostNotAllowedError, InvalidUrlError, safeFetch } from '../../common/net/safe-fetch';
import { WebhookHostsService } from '../webhook-hosts.service';
import { SecretsService } from '../secrets.service';
import { ChannelError, ChannelReceipt, ChannelSend, ChannelTransport } from './channel.types';

/**
 * How long a receiver may take to answer (like SMTP's socket timeout). The attempt owns the
 * delivery all along (its lease is renewed), so a slow receiver gets one POST, not a retry.
 */
export const WEBHOOK_TIMEOUT_MS = 30_000;

/** `Herald-Signature: t=<ms>,v1=<hex HMAC-SHA256 of "t.body">`, as Stripe-style receivers verify. */
export function webhookSignature(secret: string, timestampMs: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex');
  return `t=${timestampMs},v1=${v1}`;
}

/** POSTs the message as JSON to the recipient's webhook, signed, with the message id as Idempotency-Key. */
@Injectable()
export class WebhookChannel implements ChannelTransport {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secrets: SecretsService,
    private readonly hosts: WebhookHostsService,
  ) {}

  async send(message: ChannelSend): Promise<ChannelReceipt> {
    if (!message.address) throw new ChannelError('no webhook URL', false);
    const body = JSON.stringify(message.content);
    const timestamp = Date.now();
    const secret = await this.secrets.webhookSecret(message.workspaceId);
    const allowHost = await this.hosts.predicate(message.workspaceId);
    let status: number;
    try {
      const res = await safeFetch(message.address, {
        method: 'POST',
        body,
        timeoutMs: WEBHOOK_TIMEOUT_MS,
        allowPrivateNetworks: this.config.allowPrivateNetworks,
        allowHost,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Herald-Webhook/1',
          'Idempotency-Key': message.messageId,
          'Herald-Signature': webhookSignature(secret, timestamp, body),
        },
      });
      status = res.status;
    } catch (err) {
      const permanent = err instanceof DestinationRefusedError || err instanceof InvalidUrlError || err instanceof HostNotAllowedError;
      throw new ChannelError(`webhook: ${(err as Error).message}`, !permanent);
    }
    if (status >= 200 && status < 300) return { provider: 'webhook', response: `HTTP ${status}`, delivered: true };
    const retryable = status >= 500 || status === 429 || status === 408;
    throw new ChannelError(`webhook: HTTP ${status}`, retryable);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { heartbeat } from '@temporalio/activity';
import { DataSource } from 'typeorm';
import type { JsonObject } from '../../workflows/shared/json';
import { safeFetch } from '../common/net/safe-fetch';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { ProviderRateLimiter } from '../providers/provider-rate-limiter';
import { OpenedProvider, ProvidersService, SMTP_PROVIDER } from '../providers/providers.service';
import { clip, ProviderError, ProviderReceipt } from '../providers/provider.types';
import { ChannelError, ChannelReceipt } from './channels/channel.types';
import { EmailChannel } from './channels/email.channel';

/** A provider channel's attempt gave way to the provider's rate limit: retried later, not counted as a failure. */
export class RateLimitedError extends ChannelError {
  constructor(providerId: string) {
    super(`provider ${providerId} is at its rate limit: the message waits for a free slot`, true);
    this.name = 'RateLimitedError';
  }
}

export interface ProviderChannelSend {
  workspaceId: string;
  messageId: string;
  channel: string;
  /** The lease owner of the channel delivery (the claim of DeliveryService.sendOnChannel). */
  owner: string;
  recipient: string | null;
  content: JsonObject;
  address: string | null;
  /** Provider ids in the order they are tried, fixed when the message was prepared. */
  plan: string[];
}

interface Position {
  provider_index: number;
  provider_attempts: number;
  failing_ms: number | null;
}

/**
 * A channel delivered through configured providers: tried in the order the message was prepared
 * with; a retryable failure (408, 429, 5xx, timeout) is retried with backoff (the caller's
 * activity retry) until the provider's attempts or failover time are used up, then the next
 * provider is tried; a provider that cannot send at all (bad credentials) is left at once; a
 * refusal of the recipient ends the channel (no other provider would do better). Every attempt
 * is a row of delivery_attempts; where the channel delivery stands is in channel_deliveries, so a
 * retried activity resumes at the same provider. A provider without an idempotency key marks the
 * attempt committing before its request leaves: an owner that dies after it is not sent again.
 */
@Injectable()
export class ProviderDeliveryService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly providers: ProvidersService,
    private readonly limiter: ProviderRateLimiter,
    private readonly email: EmailChannel,
  ) {}

  async send(s: ProviderChannelSend): Promise<ChannelReceipt> {
    const key = [s.workspaceId, s.messageId, s.channel];
    let last = 'no provider configured';
    for (;;) {
      const [pos] = (await this.db.query(
        `SELECT provider_index, provider_attempts, (EXTRACT(EPOCH FROM (now() - provider_since)) * 1000)::bigint AS failing_ms
         FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 AND channel = $3`,
        key,
      )) as Position[];
      const index = pos?.provider_index ?? 0;
      if (index >= s.plan.length) throw new ChannelError(`every ${s.channel} provider failed (last: ${last})`, false);
      const providerId = s.plan[index];
      const provider = await this.providers.forSend(s.workspaceId, providerId);
      if (!provider || !provider.enabled || (!provider.adapter && provider.provider !== SMTP_PROVIDER)) {
        last = `${providerId}: removed or disabled since the message was prepared`;
        await this.advance(key, s.owner, index);
        continue;
      }
      // The slot is booked now and waited for at the commit point, right before the request leaves,
      // so the time between slot and arrival (the jitter the provider sees) is as short as it can be.
      const wait = await this.limiter.reserve(s.workspaceId, provider.id, provider.rate_limit);
      if (wait === null) throw new RateLimitedError(provider.id);
      const slotAt = Date.now() + wait;

      const [attempt] = (await this.db.query(
        `INSERT INTO delivery_attempts (workspace_id, message_id, channel, provider_id, provider, state) VALUES ($1, $2, $3, $4, $5, 'sending') RETURNING id`,
        [...key, provider.id, provider.provider],
      )) as Array<{ id: string }>;
      const sent: { at: Date | null } = { at: null };
      try {
        const receipt = await this.sendOnce(s, provider, slotAt, sent);
        await this.db.query(
          `UPDATE delivery_attempts SET state = 'accepted', response = $2, provider_message_id = $3, sent_at = $4, finished_at = now() WHERE id = $1`,
          [attempt.id, clip(receipt.response, 2000), receipt.providerMessageId, sent.at],
        );
        if (receipt.unregisteredTokens?.length && s.recipient) await this.removeTokens(s.workspaceId, s.recipient, receipt.unregisteredTokens);
        if (receipt.receiptTickets?.length) {
          await this.db.query(
            `INSERT INTO push_receipt_tickets (workspace_id, provider_id, ticket_id, message_id, channel, user_id, token)
             SELECT $1, $2, t.id, $3, $4, $5, t.token FROM unnest($6::text[], $7::text[]) AS t(id, token) ON CONFLICT DO NOTHING`,
            [s.workspaceId, provider.id, s.messageId, s.channel, s.recipient ?? null, receipt.receiptTickets.map((t) => t.id), receipt.receiptTickets.map((t) => t.token)],
          );
        }
        return {
          provider: `${provider.provider}:${provider.id}`,
          response: receipt.response,
          delivered: receipt.delivered,
          acceptedBy: { providerId: provider.id, provider: provider.provider, providerMessageId: receipt.providerMessageId },
        };
      } catch (err) {
        const e = toProviderError(err);
        await this.db.query(
          `UPDATE delivery_attempts SET state = 'failed', status_code = $2, response = $3, error = $4, sent_at = $5, finished_at = now() WHERE id = $1`,
          [attempt.id, e.details.status ?? null, e.details.response ? clip(e.details.response, 2000) : null, clip(e.message, 2000), sent.at],
        );
        if (e.details.unregisteredTokens?.length && s.recipient) await this.removeTokens(s.workspaceId, s.recipient, e.details.unregisteredTokens);
        last = `${provider.id}: ${e.message}`;
        if (e.kind === 'recipient') throw new ChannelError(e.message, false, s.channel === 'email');
        if (e.kind === 'provider') {
          await this.advance(key, s.owner, index);
          continue;
        }
        // Retryable: this provider again after a backoff, unless its attempts or its failover time are used up.
        const attempts = (pos?.provider_attempts ?? 0) + 1;
        const failingMs = pos?.failing_ms ?? 0;
        if (attempts >= provider.max_attempts || (pos?.failing_ms !== null && pos?.failing_ms !== undefined && failingMs >= provider.failover_after_ms)) {
          await this.advance(key, s.owner, index);
          continue;
        }
        await this.db.query(
          `UPDATE channel_deliveries SET provider_attempts = $4, provider_since = COALESCE(provider_since, now()) WHERE workspace_id = $1 AND message_id = $2 AND channel = $3`,
          [...key, attempts],
        );
        throw new ChannelError(e.message, true);
      }
    }
  }

  /** One request to one provider, with the commit point marked unless the provider dedupes by the message id. */
  private async sendOnce(s: ProviderChannelSend, p: OpenedProvider, slotAt: number, sent: { at: Date | null }): Promise<ProviderReceipt> {
    // The booked slot, then the limiter's window (held back while it is full): `sent.at` is when the request may leave.
    const waitForSlot = async () => {
      if (slotAt > Date.now()) await sleepWithHeartbeat(slotAt - Date.now());
      for (;;) {
        const claim = await this.limiter.claim(s.workspaceId, p.id, p.rate_limit);
        if ('claimedAt' in claim) {
          sent.at = claim.claimedAt;
          return;
        }
        await sleepWithHeartbeat(claim.waitMs);
      }
    };
    // Waits first, then marks: an owner that dies while waiting has sent nothing and is not "unconfirmed".
    const markCommitting = async () => {
      const [, affected] = (await this.db.query(
        `UPDATE channel_deliveries SET state = 'committing', updated_at = now() WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 AND lease_owner = $4`,
        [s.workspaceId, s.messageId, s.channel, s.owner],
      )) as [unknown, number];
      if (!affected) throw new ProviderError('lost the delivery lease before the commit point', 'retryable');
    };
    const commit = async () => {
      await waitForSlot();
      await markCommitting();
    };
    if (p.provider === SMTP_PROVIDER) {
      // Not mid-DATA: the SMTP server's patience is shorter than a slot may be away.
      await waitForSlot();
      try {
        const r = await this.email.send({ workspaceId: s.workspaceId, messageId: s.messageId, recipient: s.recipient, content: s.content, address: s.address, commit: markCommitting });
        return { response: r.response, providerMessageId: null, delivered: r.delivered };
      } catch (err) {
        if (!(err instanceof ChannelError)) throw err;
        throw new ProviderError(err.message, err.bounced ? 'recipient' : err.retryable ? 'retryable' : 'provider');
      }
    }
    const adapter = p.adapter!;
    return adapter.send({
      workspaceId: s.workspaceId,
      messageId: s.messageId,
      config: { ...p.config, ...p.secrets },
      content: s.content,
      address: s.address || null,
      statusCallbackUrl: this.providers.receiptUrl(s.workspaceId, p.id, p.provider),
      commit: adapter.idempotent ? waitForSlot : commit,
      fetch: (url, options) => safeFetch(url, { ...options, allowPrivateNetworks: this.config.allowPrivateNetworks }),
      allowPrivateNetworks: this.config.allowPrivateNetworks,
    });
  }

  /** The next provider of the plan, from its first attempt. */
  private async advance(key: string[], owner: string, from: number): Promise<void> {
    await this.db.query(
      `UPDATE channel_deliveries SET provider_index = $4 + 1, provider_attempts = 0, provider_since = NULL, state = 'sending', updated_at = now()
       WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 AND provider_index = $4 AND lease_owner = $5`,
      [...key, from, owner],
    );
  }

  /** Push tokens a provider said are gone, taken off the profile (`firebaseToken`, `apn.token`, `expo.tokens`). */
  async removeTokens(workspaceId: string, userId: string, tokens: string[]): Promise<void> {
    const gone = new Set(tokens);
    await this.db.transaction(async (tx) => {
      const [row] = (await tx.query('SELECT profile FROM profiles WHERE workspace_id = $1 AND user_id = $2 FOR UPDATE', [workspaceId, userId])) as Array<{ profile: JsonObject }>;
      if (!row) return;
      const profile = structuredClone(row.profile) as Record<string, any>;
      if (typeof profile.firebaseToken === 'string' && gone.has(profile.firebaseToken)) delete profile.firebaseToken;
      else if (Array.isArray(profile.firebaseToken)) profile.firebaseToken = profile.firebaseToken.filter((t: unknown) => !gone.has(t as string));
      if (profile.apn && typeof profile.apn === 'object') {
        if (gone.has(profile.apn.token)) delete profile.apn.token;
        if (Array.isArray(profile.apn.tokens)) profile.apn.tokens = profile.apn.tokens.filter((t: unknown) => !gone.has(t as string));
      }
      if (profile.expo && typeof profile.expo === 'object') {
        if (gone.has(profile.expo.token)) delete profile.expo.token;
        if (Array.isArray(profile.expo.tokens)) profile.expo.tokens = profile.expo.tokens.filter((t: unknown) => !gone.has(t as string));
      }
      await tx.query('UPDATE profiles SET profile = $3, updated_at = now() WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId, JSON.stringify(profile)]);
    });
  }
}

function toProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  // An adapter bug or an unexpected answer: this provider cannot be trusted with the message; fail over.
  return new ProviderError(`provider error: ${(err as Error).message}`, 'provider');
}

async function sleepWithHeartbeat(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      heartbeat();
    } catch {
      /* a local activity: the SDK keeps the workflow task alive */
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, end - Date.now())));
  }
}

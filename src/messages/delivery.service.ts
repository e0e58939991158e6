import { Inject, Injectable } from '@nestjs/common';
import { heartbeat } from '@temporalio/activity';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { deepMerge, isPlainObject, JsonObject } from '../../workflows/shared/json';
import { notFound } from '../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { renderLiquid, TemplateRenderError, TemplateSyntaxError } from '../notifications/liquid-renderer';
import { CHANNELS, ChannelName } from '../notifications/notification.schema';
import { NotificationsService, NotificationView } from '../notifications/notifications.service';
import { OutboxService } from '../outbox/outbox.service';
import { ProfilesService } from '../profiles/profiles.service';
import { TenantsService } from '../tenants/tenants.service';
import { ChannelError, ChannelReceipt, ChannelTransport } from './channels/channel.types';
import { EmailChannel } from './channels/email.channel';
import { InboxChannel } from './channels/inbox.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { isSingleEmailAddress } from './channels/email-address';
import { SuppressionsService } from './suppressions.service';
import { PreferencesService } from '../preferences/preferences.service';
import { listUnsubscribeHeader, signPreferencesToken, signUnsubscribeToken } from '../preferences/unsubscribe-tokens';
import { DeliveryOptions, DeliveryPlan, DeliveryRequest, DeliveryResult, FINAL_MESSAGE_STATUSES, MessageStatus } from './delivery.types';
import { DeliveryWindowsService } from './delivery-windows.service';
import { faultPoint } from '../common/fault-injection';
import { MessagesService } from './messages.service';
import { SecretsService } from './secrets.service';
import { addEmailTracking } from './tracking/html-tracking';
import { ProviderDeliveryService, RateLimitedError } from './provider-delivery.service';
import { ReceiptsService } from './receipts.service';
import { ProvidersService } from '../providers/providers.service';
import { PROVIDER_CHANNELS, ProviderChannel } from '../providers/provider.types';
import { e164 } from './channels/phone-number';
import { pushTokensOf } from './channels/push-tokens';

/** Attempts per channel before it counts as failed (and `single` routing moves on). */
export const MAX_CHANNEL_ATTEMPTS = 4;
/** A channel attempt's lease: renewed while the provider call runs, so only a dead owner loses it. */
const LEASE_SECONDS = 15;
const LEASE_RENEW_MS = 5_000;
const LEASE_POLL_MS = 500;

const RANK: Partial<Record<MessageStatus, number>> = { SENT: 1, DELIVERED: 2, OPENED: 3, CLICKED: 4 };

/** How one channel attempt ended. */
export type ChannelOutcome =
  | { kind: 'accepted'; result: DeliveryResult }
  | { kind: 'failed'; error: string }
  | { kind: 'retry'; error: string }
  | { kind: 'canceled' };

type Claim =
  | { kind: 'claimed'; attempt: number; recipient: string | null; content: JsonObject; address: string | null; plan: string[] | null }
  | { kind: 'busy'; leaseLeftMs: number }
  | { kind: 'accepted' }
  | { kind: 'unconfirmed' }
  | { kind: 'failed'; error: string }
  | { kind: 'canceled' };

/** A channel failed with an error another attempt may fix: the caller (an activity) retries with backoff. */
export class RetryDelivery extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryDelivery';
  }
}

/**
 * Delivery: turns a request into a message (template resolved, content rendered, channels the
 * recipient can be reached on) and sends it, channel by channel with failover, in one call that
 * a local activity makes (the run's send step, the message workflow). Retries resume where the
 * last attempt stopped: the message, its channel attempts and their leases are in Postgres.
 */
@Injectable()
export class DeliveryService {
  private readonly transports: Partial<Record<ChannelName, ChannelTransport>>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly messages: MessagesService,
    private readonly notifications: NotificationsService,
    private readonly profiles: ProfilesService,
    private readonly tenants: TenantsService,
    private readonly secrets: SecretsService,
    private readonly outbox: OutboxService,
    private readonly suppressions: SuppressionsService,
    private readonly preferences: PreferencesService,
    private readonly windows: DeliveryWindowsService,
    email: EmailChannel,
    inbox: InboxChannel,
    webhook: WebhookChannel,
    private readonly providers: ProvidersService,
    private readonly providerDelivery: ProviderDeliveryService,
    private readonly receipts: ReceiptsService,
  ) {
    this.transports = { email, inbox, webhook };
  }

  /**
   * Records the message (ENQUEUED) and decides how to send it: UNMAPPED without a template,
   * UNROUTABLE without a reachable channel. Idempotent: a message already prepared keeps its plan.
   */
  async prepare(req: DeliveryRequest, options: DeliveryOptions = {}): Promise<DeliveryPlan> {
    const { workspaceId, messageId } = req;
    const inline = isPlainObject(req.message) ? req.message : {};
    const templateId = req.template ?? (typeof inline.template === 'string' ? inline.template : null);
    const content = req.content ?? (isPlainObject(inline.content) ? (inline.content as { title?: string; body?: string }) : null);
    const to = { ...(isPlainObject(inline.to) ? inline.to : {}), ...(req.to ?? {}) } as JsonObject;
    const recipient = req.recipient ?? stringOr(to.user_id) ?? stringOr(to.email);

    const row = await this.messages.enqueue({ workspaceId, messageId, requestId: req.requestId, runId: req.runId, recipient, notification: templateId, to });
    if (FINAL_MESSAGE_STATUSES.includes(row.status)) return { messageId, final: row.status, channels: row.channels, method: (row.routing?.method as 'single' | 'all') ?? 'single' };
    // Already prepared (a retried delivery, perhaps with some channels sent): the same plan; each channel's record says what is left.
    if (row.content) return { messageId, channels: row.channels, method: (row.routing?.method as 'single' | 'all') ?? 'single' };

    const template = templateId ? await this.notifications.find(workspaceId, templateId) : null;
    if (!template && !content) {
      await this.messages.transition(workspaceId, messageId, 'UNMAPPED', { reason: templateId ? `notification ${JSON.stringify(templateId)} not found` : 'no template or content' });
      return { messageId, final: 'UNMAPPED', channels: [], method: 'single' };
    }

    // An email-only recipient (`to: { email }`) has no profile and no inbox. A run's send step to
    // the run's own recipient brings the run's profile (the stored one, loaded when the run
    // started, as its profile steps changed it); other sends read the stored profile now.
    const isUser = Boolean(recipient) && (Boolean(to.user_id) || (recipient !== to.email && recipient !== to.phone_number));
    const stored = isUser && recipient && !req.profileLoaded ? await this.profiles.get(workspaceId, recipient) : null;
    const profile = deepMerge(deepMerge(stored ?? {}, req.profile ?? {}), isPlainObject(inline.profile) ? inline.profile : {});
    const data = deepMerge(req.data ?? {}, isPlainObject(inline.data) ? inline.data : {});
    const tenantId = req.tenantId ?? stringOr(to.tenant_id);
    const tenant = tenantId ? await this.tenants.get(workspaceId, tenantId).catch(() => null) : null;
    const scope: Record<string, unknown> = { data, profile, recipient, tenant };

    const routing = req.routing ?? (isPlainObject(inline.routing) ? (inline.routing as DeliveryRequest['routing']) : null) ?? template?.routing ?? null;
    const requested = req.channels ?? (Array.isArray(inline.channels) ? (inline.channels as string[]) : null);
    let order = (requested ?? routing?.channels ?? (template ? Object.keys(template.channels) : ['inbox', 'email'])).filter(
      (c): c is ChannelName => (CHANNELS as readonly string[]).includes(c),
    );
    let unsubscribeUrl: string | null = null;
    let unsubscribeToken = '';
    // The recipient's preferences for the message's topic (a send's own topic, else the template's).
    const topic = req.topic ?? stringOr(inline.topic) ?? template?.subscription_topic_id ?? null;
    let required = false;
    if (topic) {
      const decision = await this.preferences.decide(workspaceId, isUser ? recipient : null, topic, tenantId);
      required = decision.send && decision.required;
      if (!decision.send) {
        await this.messages.update(workspaceId, messageId, { routing: { method: routing?.method ?? 'single', channels: order } });
        await this.messages.transition(workspaceId, messageId, 'FILTERED', { reason: decision.reason });
        return { messageId, final: 'FILTERED', channels: [], method: routing?.method ?? 'single' };
      }
      if (decision.channels) order = order.filter((c) => decision.channels!.includes(c));
      // RFC 8058 one-click unsubscribe for a topic the user may leave.
      if (decision.known && !decision.required && isUser && recipient) {
        unsubscribeToken = signUnsubscribeToken({ w: workspaceId, u: recipient, t: topic }, await this.secrets.trackingSecret());
        unsubscribeUrl = `${this.config.delivery.publicUrl}/u/${unsubscribeToken}`;
      }
    }
    // Quiet hours hold what is not REQUIRED until their window opens in the recipient's zone; the
    // caller sleeps durably and comes back with them released (so no clock skew holds it twice).
    if (options.quietHours && !required) {
      const until = await this.windows.quietHoursUntil(workspaceId, to, profile);
      if (until !== null) {
        await this.messages.update(workspaceId, messageId, { scheduled_for: new Date(until), reason: `QUIET_HOURS: held until ${new Date(until).toISOString()}` });
        return { messageId, channels: [], method: routing?.method ?? 'single', holdUntil: until };
      }
    }
    const phone = stringOr(to.phone_number) ?? stringOr(profile.phone_number);
    const tokens = pushTokensOf(to, profile);
    const slack = (isPlainObject(to.slack) ? to.slack : isPlainObject(profile.slack) ? profile.slack : {}) as JsonObject;
    const addresses: Record<ChannelName, string | null> = {
      email: stringOr(to.email) ?? stringOr(profile.email),
      inbox: isUser ? recipient : null,
      webhook: stringOr(to.webhook_url) ?? stringOr(profile.webhook_url) ?? stringOr((profile.webhook as JsonObject | undefined)?.url) ?? template?.channels.webhook?.url ?? null,
      sms: phone ? e164(phone) : null,
      push: tokens.firebase.length + tokens.apn.length + tokens.expo.length ? 'tokens' : null,
      // A chat message goes to the recipient's Slack channel, else to where the provider posts (its webhook, its default channel).
      chat: stringOr(slack.channel) ?? '',
    };
    // Each provider channel's providers in the order they are tried, fixed for this message.
    const plans: Partial<Record<ChannelName, string[]>> = {};
    for (const channel of order) {
      if (!(PROVIDER_CHANNELS as readonly string[]).includes(channel)) continue;
      const ids = await this.providers.rankedIds(workspaceId, channel as ProviderChannel);
      if (ids.length || channel !== 'email') plans[channel] = ids;
    }
    const skipped: string[] = [];
    const channels: ChannelName[] = [];
    let suppressed: string | null = null;
    for (const channel of order) {
      if (template && !template.channels[channel]) skipped.push(`${channel}: not in the template`);
      else if (channel === 'email' && addresses.email && !isSingleEmailAddress(addresses.email)) {
        skipped.push('email: the address is not one plain email address (lists, display names and line breaks are refused)');
      } else if (channel === 'email' && addresses.email && (suppressed = await this.suppressions.isSuppressed(workspaceId, addresses.email))) {
        skipped.push(`email: the address is on the suppression list (${suppressed})`);
      }
      else if (channel === 'sms' && phone && !addresses.sms) skipped.push(`sms: ${JSON.stringify(phone)} is not a valid phone number in E.164 form (+ and country code)`);
      else if (plans[channel] && !plans[channel]!.length) skipped.push(`${channel}: no ${channel} provider configured`);
      else if (addresses[channel] === null) skipped.push(`${channel}: ${MISSING_ADDRESS[channel]}`);
      else channels.push(channel);
    }
    const method = routing?.method ?? 'single';
    if (!channels.length) {
      await this.messages.update(workspaceId, messageId, { routing: { method, channels: order } });
      await this.messages.transition(workspaceId, messageId, 'UNROUTABLE', { reason: `no reachable channel (${skipped.join('; ') || 'none requested'})` });
      return { messageId, final: 'UNROUTABLE', channels: [], method };
    }

    const rendered: JsonObject = { addresses, providers: plans as JsonObject };
    try {
      if (unsubscribeUrl) scope.unsubscribe_url = unsubscribeUrl;
      // The hosted preferences page (every topic of the user's), for any message to a user.
      if (isUser && recipient) scope.preferences_url = `${this.config.delivery.publicUrl}/p/${signPreferencesToken({ w: workspaceId, u: recipient }, await this.secrets.trackingSecret())}`;
      for (const channel of channels) rendered[channel] = await this.render(channel, template, content, scope, { workspaceId, messageId });
      if (isPlainObject(rendered.push)) rendered.push = { ...rendered.push, tokens: tokens as unknown as JsonObject };
      if (unsubscribeUrl && isPlainObject(rendered.email)) {
        rendered.email = { ...rendered.email, headers: { 'List-Unsubscribe': listUnsubscribeHeader(unsubscribeUrl, unsubscribeToken, this.config.unsubscribeMailbox?.address), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
      }
    } catch (err) {
      // A template that cannot render will not render on a retry either: the message ends here.
      if (!(err instanceof TemplateRenderError || err instanceof TemplateSyntaxError)) throw err;
      await this.messages.update(workspaceId, messageId, { routing: { method: routing?.method ?? 'single', channels: order } });
      const error = `template could not be rendered: ${err.message}`;
      await this.messages.transition(workspaceId, messageId, 'UNDELIVERABLE', { error, reason: 'RENDER_ERROR' });
      return { messageId, final: 'UNDELIVERABLE', channels: [], method: routing?.method ?? 'single' };
    }
    await this.messages.update(workspaceId, messageId, { channels, routing: { method, channels: order }, content: rendered, recipient, reason: skipped.length ? `skipped ${skipped.join('; ')}` : null });
    return { messageId, channels, method };
  }

  /**
   * The whole delivery of one message, in one call (the run's send step and the message
   * workflow's one local activity): prepare, then channels in order — `single` stops at the
   * first that succeeds (failover), `all` sends on each. A channel failing with a retryable
   * error throws RetryDelivery (the activity is retried with backoff; attempts are counted per
   * channel in Postgres); after its last attempt it has failed. No channel left: UNDELIVERABLE.
   */
  async deliver(req: DeliveryRequest, options: DeliveryOptions = {}): Promise<DeliveryResult> {
    const plan = await this.prepare(req, options);
    if (plan.final) return { messageId: plan.messageId, status: plan.final };
    if (plan.holdUntil !== undefined) return { messageId: plan.messageId, status: 'ENQUEUED', heldUntil: new Date(plan.holdUntil).toISOString() };
    const errors: string[] = [];
    let best: DeliveryResult | undefined;
    for (const channel of plan.channels as ChannelName[]) {
      const outcome = await this.sendOnChannel(req.workspaceId, plan.messageId, channel);
      if (outcome.kind === 'canceled') return { messageId: plan.messageId, status: 'CANCELED' };
      if (outcome.kind === 'failed') {
        errors.push(`${channel}: ${outcome.error}`);
        continue;
      }
      if (outcome.kind === 'retry') throw new RetryDelivery(`${channel}: ${outcome.error}`);
      if (!best || (RANK[outcome.result.status] ?? 0) > (RANK[best.status] ?? 0)) best = outcome.result;
      if (plan.method === 'single') break;
    }
    if (best) return best;
    return this.markUndeliverable(req.workspaceId, plan.messageId, errors.join('; '));
  }

  /**
   * One channel attempt. Only one attempt owns a channel delivery at a time: the claim is a
   * compare-and-set under the message's row lock (which also serialises it with a cancel), and
   * the owner holds a lease it renews while the provider call runs. A second attempt (a retried
   * activity, a replayed workflow task) waits for a live owner and adopts its outcome; it takes
   * over only when the lease ran out (the owner died). An owner that died past its commit point
   * (SMTP: the last byte of DATA) may have been accepted: email is not sent again.
   */
  async sendOnChannel(workspaceId: string, messageId: string, channel: ChannelName): Promise<ChannelOutcome> {
    const owner = randomUUID();
    const key = [workspaceId, messageId, channel];
    for (;;) {
      const claim = await this.claim(workspaceId, messageId, channel, owner);
      if (claim.kind === 'busy') {
        // A live attempt owns it: wait for its outcome (or for its lease to run out).
        safeHeartbeat();
        await new Promise((r) => setTimeout(r, Math.min(LEASE_POLL_MS, Math.max(50, claim.leaseLeftMs))));
        continue;
      }
      if (claim.kind === 'accepted') return { kind: 'accepted', result: await this.accepted(workspaceId, messageId, channel, null) };
      if (claim.kind === 'unconfirmed') {
        return {
          kind: 'accepted',
          result: await this.accepted(workspaceId, messageId, channel, { provider: channel, response: 'unconfirmed: the previous attempt stopped mid-send; not sent again', delivered: false }),
        };
      }
      if (claim.kind !== 'claimed') return claim;

      const renew = setInterval(() => {
        safeHeartbeat();
        void this.db.query(
          `UPDATE channel_deliveries SET lease_until = now() + make_interval(secs => $4) WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 AND lease_owner = $5`,
          [...key, LEASE_SECONDS, owner],
        ).catch(() => undefined);
      }, LEASE_RENEW_MS);
      try {
        const plan = claim.plan;
        const receipt = plan
          ? await this.providerDelivery.send({ workspaceId, messageId, channel, owner, recipient: claim.recipient, content: claim.content, address: claim.address, plan })
          : await this.transports[channel]!.send({
          workspaceId, messageId, recipient: claim.recipient, content: claim.content, address: claim.address,
          commit: async () => {
            const [, affected] = (await this.db.query(
              `UPDATE channel_deliveries SET state = 'committing', updated_at = now() WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 AND lease_owner = $4`,
              [...key, owner],
            )) as [unknown, number];
            // Lost the lease (this process stalled past it): another attempt owns the send now.
            if (!affected) throw new ChannelError('lost the delivery lease before the commit point', true);
          },
        });
        faultPoint('after-provider-accept');
        return { kind: 'accepted', result: await this.accepted(workspaceId, messageId, channel, receipt) };
      } catch (err) {
        if (!(err instanceof ChannelError)) throw err;
        // Provider channels count attempts per provider (ProviderDeliveryService); a rate-limited turn counts for nothing.
        const final = !err.retryable || (!claim.plan && claim.attempt >= MAX_CHANNEL_ATTEMPTS);
        if (err instanceof RateLimitedError) {
          await this.db.query(
            `UPDATE channel_deliveries SET state = 'retry', attempts = GREATEST(0, attempts - 1), lease_owner = NULL, lease_until = NULL, updated_at = now()
             WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 AND lease_owner = $4`,
            [...key, owner],
          );
          return { kind: 'retry', error: err.message };
        }
        if (err.bounced && channel === 'email' && claim.address) await this.suppressions.add(workspaceId, claim.address, 'BOUNCED', err.message);
        await this.db.query(
          `UPDATE channel_deliveries SET state = $4, error = $5, lease_owner = NULL, lease_until = NULL, updated_at = now()
           WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 AND lease_owner = $6`,
          [...key, final ? 'failed' : 'retry', err.message, owner],
        );
        return final ? { kind: 'failed', error: err.message } : { kind: 'retry', error: err.message };
      } finally {
        clearInterval(renew);
      }
    }
  }

  /** The compare-and-set at the start of an attempt (see sendOnChannel). */
  private async claim(workspaceId: string, messageId: string, channel: ChannelName, owner: string): Promise<Claim> {
    // The common case, a channel's first attempt, in one statement: the message row is locked (so
    // a cancel serialises with it) and the attempt recorded only if the message is not canceled.
    const fresh = (await this.db.query(
      `WITH m AS (SELECT recipient, content FROM messages WHERE workspace_id = $1 AND id = $2 AND status <> 'CANCELED' FOR UPDATE),
       cd AS (INSERT INTO channel_deliveries (workspace_id, message_id, channel, state, attempts, lease_owner, lease_until)
         SELECT $1, $2, $3, 'sending', 1, $4, now() + make_interval(secs => $5) FROM m
         ON CONFLICT (workspace_id, message_id, channel) DO NOTHING RETURNING attempts)
       SELECT m.recipient, m.content FROM m JOIN cd ON true`,
      [workspaceId, messageId, channel, owner, LEASE_SECONDS],
    )) as Array<{ recipient: string | null; content: JsonObject | null }>;
    if (fresh[0]) return this.claimed(channel, 1, fresh[0]);
    return this.db.transaction(async (tx) => {
      const [message] = (await tx.query('SELECT status, recipient, content FROM messages WHERE workspace_id = $1 AND id = $2 FOR UPDATE', [
        workspaceId, messageId,
      ])) as Array<{ status: MessageStatus; recipient: string | null; content: JsonObject | null }>;
      if (!message || message.status === 'CANCELED') return { kind: 'canceled' as const };
      const [row] = (await tx.query(
        `SELECT state, attempts, error, lease_owner, GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000)::int AS lease_left_ms
         FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 FOR UPDATE`,
        [workspaceId, messageId, channel],
      )) as Array<{ state: string; attempts: number; error: string | null; lease_owner: string | null; lease_left_ms: number | null }>;
      if (row?.state === 'accepted') return { kind: 'accepted' as const };
      if (row?.state === 'failed') return { kind: 'failed' as const, error: row.error ?? 'failed' };
      const live = row?.lease_owner && (row.lease_left_ms ?? 0) > 0;
      if (live && (row.state === 'sending' || row.state === 'committing')) return { kind: 'busy' as const, leaseLeftMs: row.lease_left_ms ?? 0 };
      // The owner died past its commit point: the provider may have accepted it.
      if (row?.state === 'committing' && (channel === 'email' || (PROVIDER_CHANNELS as readonly string[]).includes(channel))) return { kind: 'unconfirmed' as const };
      const attempt = (row?.attempts ?? 0) + 1;
      await tx.query(
        `INSERT INTO channel_deliveries (workspace_id, message_id, channel, state, attempts, lease_owner, lease_until)
         VALUES ($1, $2, $3, 'sending', 1, $4, now() + make_interval(secs => $5))
         ON CONFLICT (workspace_id, message_id, channel) DO UPDATE SET state = 'sending', attempts = channel_deliveries.attempts + 1,
           lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until, updated_at = now()`,
        [workspaceId, messageId, channel, owner, LEASE_SECONDS],
      );
      return this.claimed(channel, attempt, message);
    });
  }

  private claimed(channel: ChannelName, attempt: number, message: { recipient: string | null; content: JsonObject | null }): Claim {
    const content = (message.content ?? {}) as JsonObject;
    const addresses = (content.addresses ?? {}) as Record<string, string | null>;
    const plans = (content.providers ?? {}) as Record<string, string[] | undefined>;
    return { kind: 'claimed', attempt, recipient: message.recipient, content: (content[channel] ?? {}) as JsonObject, address: addresses[channel] ?? null, plan: plans[channel] ?? null };
  }

  async markUndeliverable(workspaceId: string, messageId: string, error: string): Promise<DeliveryResult> {
    await this.messages.transition(workspaceId, messageId, 'UNDELIVERABLE', { error });
    return { messageId, status: (await this.messages.row(workspaceId, messageId)).status };
  }

  /**
   * Cancels a message that no channel attempt has claimed yet (the point of no return). Under
   * the message's row lock, so it serialises with a claim: one of the two wins, never both.
   * (The reconciler ends a message whose workflow is gone the same way, as UNDELIVERABLE.)
   * Returns the message's status after the call and whether this call canceled it.
   */
  async cancelIfUnsent(
    workspaceId: string,
    messageId: string,
    reason = 'canceled before it was sent',
    end: 'CANCELED' | 'UNDELIVERABLE' = 'CANCELED',
  ): Promise<{ canceled: boolean; status: MessageStatus }> {
    const result = await this.db.transaction(async (tx) => {
      const [message] = (await tx.query('SELECT status FROM messages WHERE workspace_id = $1 AND id = $2 FOR UPDATE', [workspaceId, messageId])) as Array<{ status: MessageStatus }>;
      if (!message) return null;
      if (message.status !== 'ENQUEUED') return { canceled: false, status: message.status, outbound: false };
      const [claimed] = (await tx.query(
        `SELECT 1 FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 AND state IN ('sending', 'committing', 'accepted') LIMIT 1`,
        [workspaceId, messageId],
      )) as unknown[];
      if (claimed) return { canceled: false, status: message.status, outbound: false };
      const { outbound } = await this.messages.transitionIn(tx, workspaceId, messageId, end, end === 'CANCELED' ? { reason } : { error: reason });
      return { canceled: true, status: end as MessageStatus, outbound };
    });
    if (!result) throw notFound(`message ${JSON.stringify(messageId)} not found`);
    if (result.outbound) void this.outbox.wake(workspaceId);
    return { canceled: result.canceled, status: result.status };
  }

  /** Members of a tenant, for a /send to `{ tenant_id }`. */
  async tenantMembers(workspaceId: string, tenantId: string): Promise<string[]> {
    const rows = (await this.db.query('SELECT user_id FROM tenant_memberships WHERE workspace_id = $1 AND tenant_id = $2 ORDER BY user_id', [
      workspaceId, tenantId,
    ])) as Array<{ user_id: string }>;
    return rows.map((r) => r.user_id);
  }

  /** Records an accepted send and its statuses (SENT, DELIVERED when the channel confirms) in one transaction. */
  private async accepted(
    workspaceId: string,
    messageId: string,
    channel: ChannelName,
    receipt: ChannelReceipt | null,
  ): Promise<DeliveryResult> {
    const { row, outbound } = await this.db.transaction(async (tx) => {
      const [cd] = (await tx.query(
        `UPDATE channel_deliveries SET state = 'accepted', provider = COALESCE($4, provider), provider_response = COALESCE($5, provider_response),
           error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = now()
         WHERE workspace_id = $1 AND message_id = $2 AND channel = $3 RETURNING provider`,
        [workspaceId, messageId, channel, receipt?.provider ?? null, receipt?.response.slice(0, 2000) ?? null],
      )) as [Array<{ provider: string | null }>, number];
      const provider = cd[0]?.provider ?? channel;
      const delivered = receipt?.delivered ?? (channel === 'inbox' || channel === 'webhook');
      const changes: Array<{ status: MessageStatus; channel: string; detail?: JsonObject }> = [{ status: 'SENT', channel, detail: { provider } }];
      if (delivered) changes.push({ status: 'DELIVERED', channel });
      // A receipt the provider sent before this acceptance was recorded is applied with it.
      const early = receipt?.acceptedBy ? await this.receipts.takePendingIn(tx, workspaceId, messageId, receipt.acceptedBy) : null;
      if (early) changes.push({ channel, ...early });
      const providers = receipt ? { [channel]: { provider: receipt.provider, response: receipt.response.slice(0, 500) } } : undefined;
      return this.messages.transitionsIn(tx, workspaceId, messageId, changes, providers);
    });
    if (outbound) void this.outbox.wake(workspaceId);
    return { messageId, status: row?.status ?? 'SENT' };
  }

  private async render(
    channel: ChannelName,
    template: NotificationView | null,
    content: { title?: string; body?: string } | null,
    scope: Record<string, unknown>,
    ids: { workspaceId: string; messageId: string },
  ): Promise<JsonObject> {
    const text = (s: string | undefined) => (s === undefined ? undefined : renderLiquid(s, scope));
    const html = (s: string | undefined) => (s === undefined ? undefined : renderLiquid(s, scope, { html: true }));
    if (channel === 'email') {
      const source = template?.channels.email ?? { subject: content?.title ?? '', text: content?.body ?? '' };
      const rendered = { subject: await text(source.subject), html: await html(source.html), text: await text(source.text) };
      if (rendered.html) {
        rendered.html = addEmailTracking(rendered.html, { baseUrl: this.config.delivery.publicUrl, secret: await this.secrets.trackingSecret(), ...ids }).html;
      }
      return rendered;
    }
    if (channel === 'inbox') {
      const source = template?.channels.inbox ?? { title: content?.title ?? '', body: content?.body ?? '' };
      return { title: await text(source.title), body: await text(source.body), action_url: await text(source.action_url) };
    }
    if (channel === 'sms') return { text: await text(template?.channels.sms?.text ?? [content?.title, content?.body].filter(Boolean).join('\n')) };
    if (channel === 'push') {
      const source = template?.channels.push ?? { title: content?.title ?? '', body: content?.body ?? '' };
      return { title: await text(source.title), body: await text(source.body), data: (await renderDeep(source.data ?? {}, scope)) as JsonObject };
    }
    if (channel === 'chat') {
      const source = template?.channels.chat ?? { text: [content?.title, content?.body].filter(Boolean).join('\n') };
      const out: JsonObject = {};
      if (source.text !== undefined) out.text = (await text(source.text)) ?? '';
      if (source.blocks) out.blocks = (await renderDeep(source.blocks, scope)) as JsonObject[];
      return out;
    }
    const body = template?.channels.webhook?.body;
    const payload = body ? await renderDeep(body, scope) : { title: content?.title ?? template?.name ?? null, body: content?.body ?? null, data: scope.data };
    return { message_id: ids.messageId, recipient: scope.recipient, notification: template?.id ?? null, ...(payload as JsonObject) };
  }
}

async function renderDeep(value: unknown, scope: Record<string, unknown>): Promise<unknown> {
  if (typeof value === 'string') return renderLiquid(value, scope);
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderDeep(v, scope)));
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderDeep(v, scope);
    return out;
  }
  return value;
}

const MISSING_ADDRESS: Record<ChannelName, string> = {
  email: 'no email address',
  inbox: 'no user id',
  webhook: 'no webhook URL',
  sms: 'no phone_number',
  push: 'no push token (firebaseToken, apn.token, expo.tokens)',
  chat: 'no Slack channel',
};

function stringOr(v: unknown): string | null {
  return typeof v === 'string' && v ? v : null;
}

/** Heartbeats when called inside a (remote) activity; a no-op in local activities and elsewhere. */
function safeHeartbeat(): void {
  try {
    heartbeat();
  } catch {
    /* not in an activity */
  }
}

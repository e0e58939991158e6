import { Inject, Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { heartbeat } from '@temporalio/activity';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { deepMerge, isPlainObject, JsonObject } from '../../workflows/shared/json';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { renderLiquid } from '../notifications/liquid-renderer';
import { CHANNELS, ChannelName } from '../notifications/notification.schema';
import { NotificationsService, NotificationView } from '../notifications/notifications.service';
import { ProfilesService } from '../profiles/profiles.service';
import { TenantsService } from '../tenants/tenants.service';
import { ChannelError, ChannelTransport } from './channels/channel.types';
import { EmailChannel } from './channels/email.channel';
import { InboxChannel } from './channels/inbox.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { DeliveryPlan, DeliveryRequest, DeliveryResult, FINAL_MESSAGE_STATUSES, MessageStatus } from './delivery.types';
import { faultPoint } from './fault-injection';
import { MessagesService } from './messages.service';
import { SecretsService } from './secrets.service';
import { addEmailTracking } from './tracking/html-tracking';

/**
 * Delivery: turns a request into a message (template resolved, content rendered, channels the
 * recipient can be reached on), and sends it on one channel at a time. The workflow decides the
 * order and failover (workflows/delivery/deliver.ts); these are its activities' bodies.
 */
@Injectable()
export class DeliveryService {
  private readonly transports: Record<ChannelName, ChannelTransport>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly messages: MessagesService,
    private readonly notifications: NotificationsService,
    private readonly profiles: ProfilesService,
    private readonly tenants: TenantsService,
    private readonly secrets: SecretsService,
    email: EmailChannel,
    inbox: InboxChannel,
    webhook: WebhookChannel,
  ) {
    this.transports = { email, inbox, webhook };
  }

  /**
   * Records the message (ENQUEUED) and decides how to send it: UNMAPPED without a template,
   * UNROUTABLE without a reachable channel. Idempotent: a message already prepared keeps its plan.
   */
  async prepare(req: DeliveryRequest): Promise<DeliveryPlan> {
    const { workspaceId, messageId } = req;
    const inline = isPlainObject(req.message) ? req.message : {};
    const templateId = req.template ?? (typeof inline.template === 'string' ? inline.template : null);
    const content = req.content ?? (isPlainObject(inline.content) ? (inline.content as { title?: string; body?: string }) : null);
    const to = { ...(isPlainObject(inline.to) ? inline.to : {}), ...(req.to ?? {}) } as JsonObject;
    const recipient = req.recipient ?? stringOr(to.user_id) ?? stringOr(to.email);

    const row = await this.messages.enqueue({ workspaceId, messageId, requestId: req.requestId, runId: req.runId, recipient, notification: templateId, to });
    if (FINAL_MESSAGE_STATUSES.includes(row.status) || row.status !== 'ENQUEUED') {
      return { messageId, final: row.status === 'ENQUEUED' ? undefined : row.status, channels: row.channels, method: (row.routing?.method as 'single' | 'all') ?? 'single' };
    }
    if (row.content) return { messageId, channels: row.channels, method: (row.routing?.method as 'single' | 'all') ?? 'single' };

    const template = templateId ? await this.notifications.find(workspaceId, templateId) : null;
    if (!template && !content) {
      await this.messages.transition(workspaceId, messageId, 'UNMAPPED', { reason: templateId ? `notification ${JSON.stringify(templateId)} not found` : 'no template or content' });
      return { messageId, final: 'UNMAPPED', channels: [], method: 'single' };
    }

    // An email-only recipient (`to: { email }`) has no profile and no inbox.
    const isUser = Boolean(recipient) && (Boolean(to.user_id) || recipient !== to.email);
    const stored = isUser && recipient ? await this.profiles.get(workspaceId, recipient) : null;
    const profile = deepMerge(deepMerge(stored ?? {}, req.profile ?? {}), isPlainObject(inline.profile) ? inline.profile : {});
    const data = deepMerge(req.data ?? {}, isPlainObject(inline.data) ? inline.data : {});
    const tenantId = req.tenantId ?? stringOr(to.tenant_id);
    const tenant = tenantId ? await this.tenants.get(workspaceId, tenantId).catch(() => null) : null;
    const scope = { data, profile, recipient, tenant };

    const routing = req.routing ?? (isPlainObject(inline.routing) ? (inline.routing as DeliveryRequest['routing']) : null) ?? template?.routing ?? null;
    const requested = req.channels ?? (Array.isArray(inline.channels) ? (inline.channels as string[]) : null);
    const order = (requested ?? routing?.channels ?? (template ? Object.keys(template.channels) : ['inbox', 'email'])).filter(
      (c): c is ChannelName => (CHANNELS as readonly string[]).includes(c),
    );
    const addresses: Record<ChannelName, string | null> = {
      email: stringOr(to.email) ?? stringOr(profile.email),
      inbox: isUser ? recipient : null,
      webhook: stringOr(to.webhook_url) ?? stringOr(profile.webhook_url) ?? stringOr((profile.webhook as JsonObject | undefined)?.url) ?? template?.channels.webhook?.url ?? null,
    };
    const skipped: string[] = [];
    const channels: ChannelName[] = [];
    for (const channel of order) {
      if (template && !template.channels[channel]) skipped.push(`${channel}: not in the template`);
      else if (!addresses[channel]) skipped.push(`${channel}: ${channel === 'inbox' ? 'no user id' : `no ${channel === 'email' ? 'email address' : 'webhook URL'}`}`);
      else channels.push(channel);
    }
    const method = routing?.method ?? 'single';
    if (!channels.length) {
      await this.messages.update(workspaceId, messageId, { routing: { method, channels: order } });
      await this.messages.transition(workspaceId, messageId, 'UNROUTABLE', { reason: `no reachable channel (${skipped.join('; ') || 'none requested'})` });
      return { messageId, final: 'UNROUTABLE', channels: [], method };
    }

    const rendered: JsonObject = { addresses };
    for (const channel of channels) rendered[channel] = await this.render(channel, template, content, scope, { workspaceId, messageId });
    await this.messages.update(workspaceId, messageId, { channels, routing: { method, channels: order }, content: rendered, recipient, reason: skipped.length ? `skipped ${skipped.join('; ')}` : null });
    return { messageId, channels, method };
  }

  /**
   * Sends on one channel. Never sends a message id twice on a channel: an accepted send is
   * remembered; an attempt that died past its commit point (state `committing`) is not repeated
   * — a possible duplicate email is worse than an unconfirmed one (see README).
   */
  async sendOnChannel(workspaceId: string, messageId: string, channel: ChannelName): Promise<DeliveryResult> {
    const message = await this.messages.row(workspaceId, messageId);
    if (message.status === 'CANCELED') throw ApplicationFailure.nonRetryable('message was canceled', 'MessageCanceled');
    const [previous] = (await this.db.query('SELECT state FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 AND channel = $3', [
      workspaceId, messageId, channel,
    ])) as Array<{ state: string }>;
    if (previous?.state === 'accepted') return this.accepted(workspaceId, messageId, channel, null);
    // An attempt that died after its commit point may have been accepted: email cannot be taken
    // back, so it is not sent again. One that died before it (`sending`) sent nothing complete,
    // and inbox (an idempotent insert) and webhooks (Idempotency-Key) are always safe to repeat.
    if (previous?.state === 'committing') {
      return this.accepted(workspaceId, messageId, channel, { provider: channel, response: 'unconfirmed: the previous attempt stopped mid-send; not sent again', delivered: false });
    }
    await this.db.query(
      `INSERT INTO channel_deliveries (workspace_id, message_id, channel, state, attempts) VALUES ($1, $2, $3, 'sending', 1)
       ON CONFLICT (workspace_id, message_id, channel) DO UPDATE SET state = 'sending', attempts = channel_deliveries.attempts + 1, updated_at = now()`,
      [workspaceId, messageId, channel],
    );
    const content = (message.content ?? {}) as JsonObject;
    const addresses = (content.addresses ?? {}) as Record<string, string | null>;
    safeHeartbeat();
    try {
      const receipt = await this.transports[channel].send({
        workspaceId, messageId, recipient: message.recipient, content: (content[channel] ?? {}) as JsonObject, address: addresses[channel] ?? null,
        commit: async () => {
          await this.db.query(
            `UPDATE channel_deliveries SET state = 'committing', updated_at = now() WHERE workspace_id = $1 AND message_id = $2 AND channel = $3`,
            [workspaceId, messageId, channel],
          );
        },
      });
      faultPoint('after-provider-accept');
      return await this.accepted(workspaceId, messageId, channel, receipt);
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err;
      await this.db.query(
        `UPDATE channel_deliveries SET state = 'failed', error = $4, updated_at = now() WHERE workspace_id = $1 AND message_id = $2 AND channel = $3`,
        [workspaceId, messageId, channel, err.message],
      );
      if (err.retryable) throw err;
      throw ApplicationFailure.nonRetryable(err.message, 'ChannelRejected');
    }
  }

  /**
   * The whole delivery in one call, without per-attempt durability: kept for runs recorded
   * before delivery moved into the workflow (their history holds one deliverMessage activity).
   */
  async deliverNow(req: DeliveryRequest): Promise<DeliveryResult> {
    const plan = await this.prepare(req);
    if (plan.final) return { messageId: plan.messageId, status: plan.final };
    const errors: string[] = [];
    for (const channel of plan.channels as ChannelName[]) {
      try {
        const result = await this.sendOnChannel(req.workspaceId, plan.messageId, channel);
        if (plan.method === 'single') return result;
      } catch (err) {
        errors.push(`${channel}: ${(err as Error).message}`);
      }
    }
    if (errors.length < plan.channels.length) return { messageId: plan.messageId, status: (await this.messages.row(req.workspaceId, plan.messageId)).status };
    return this.markUndeliverable(req.workspaceId, plan.messageId, errors.join('; '));
  }

  async markUndeliverable(workspaceId: string, messageId: string, error: string): Promise<DeliveryResult> {
    await this.messages.transition(workspaceId, messageId, 'UNDELIVERABLE', { error });
    return { messageId, status: (await this.messages.row(workspaceId, messageId)).status };
  }

  /** Only a message not yet sent becomes CANCELED; one that went out meanwhile keeps its status. */
  async markCanceled(workspaceId: string, messageId: string): Promise<void> {
    const row = await this.messages.row(workspaceId, messageId).catch(() => null);
    if (!row || row.status !== 'ENQUEUED') return;
    await this.messages.transition(workspaceId, messageId, 'CANCELED', { reason: 'canceled before it was sent' });
  }

  /** Members of a tenant, for a /send to `{ tenant_id }`. */
  async tenantMembers(workspaceId: string, tenantId: string): Promise<string[]> {
    const rows = (await this.db.query('SELECT user_id FROM tenant_memberships WHERE workspace_id = $1 AND tenant_id = $2 ORDER BY user_id', [
      workspaceId, tenantId,
    ])) as Array<{ user_id: string }>;
    return rows.map((r) => r.user_id);
  }

  private async accepted(
    workspaceId: string,
    messageId: string,
    channel: ChannelName,
    receipt: { provider: string; response: string; delivered: boolean } | null,
  ): Promise<DeliveryResult> {
    if (receipt) {
      await this.db.query(
        `UPDATE channel_deliveries SET state = 'accepted', provider = $4, provider_response = $5, error = NULL, updated_at = now()
         WHERE workspace_id = $1 AND message_id = $2 AND channel = $3`,
        [workspaceId, messageId, channel, receipt.provider, receipt.response.slice(0, 2000)],
      );
      await this.messages.setProvider(workspaceId, messageId, channel, { provider: receipt.provider, response: receipt.response.slice(0, 500) });
    }
    const [row] = (await this.db.query('SELECT provider, provider_response FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 AND channel = $3', [
      workspaceId, messageId, channel,
    ])) as Array<{ provider: string; provider_response: string }>;
    const delivered = receipt?.delivered ?? (channel === 'inbox' || channel === 'webhook');
    await this.messages.transition(workspaceId, messageId, 'SENT', { channel, detail: { provider: row?.provider ?? channel } });
    if (delivered) await this.messages.transition(workspaceId, messageId, 'DELIVERED', { channel });
    return { messageId, status: (await this.messages.row(workspaceId, messageId)).status as MessageStatus };
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

function stringOr(v: unknown): string | null {
  return typeof v === 'string' && v ? v : null;
}

/** Heartbeats when called inside an activity (so a dead worker's send is retried soon), no-op elsewhere. */
function safeHeartbeat(): void {
  try {
    heartbeat();
  } catch {
    /* not in an activity */
  }
}

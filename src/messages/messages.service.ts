import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isPlainObject, JsonObject } from '../../workflows/shared/json';
import { notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';
import type { MessageStatus, MessageView } from './delivery.types';
import { messageEvent } from '../outbox/outbound-event';
import type { Queryable } from '../database/queryable';
import { INTEGRATION_STATE, OutboxService } from '../outbox/outbox.service';
import { STATUS_RANK, STATUS_TIMESTAMP } from './message-status';

const MESSAGES_KEYSET = new Keyset([{ column: 'enqueued_at', type: 'timestamptz' }, { column: 'id', type: 'text' }]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RANK_CASE = Object.entries(STATUS_RANK).map(([s, r]) => `WHEN '${s}' THEN ${r}`).join(' ');

export interface MessageRow {
  id: string;
  request_id: string | null;
  run_id: string | null;
  recipient: string | null;
  notification: string | null;
  status: MessageStatus;
  to: JsonObject;
  routing: JsonObject | null;
  channels: string[];
  providers: JsonObject;
  content: JsonObject | null;
  error: string | null;
  reason: string | null;
  workflow_id: string | null;
  request: JsonObject | null;
  scheduled_for: Date | null;
  enqueued_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  opened_at: Date | null;
  clicked_at: Date | null;
  canceled_at: Date | null;
}

/** One channel's rendered content, in Courier's output shape (plus how its attempt ended). */
export interface MessageOutput {
  channel: string;
  channel_id: string;
  content: {
    subject?: string | null; html?: string | null; text?: string | null; headers?: Record<string, string> | null;
    title?: string | null; body?: string | null; action_url?: string | null; data?: JsonObject | null; blocks?: unknown[] | null;
  };
  status: string;
  error: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A channel's stored content in the output's shape (push without its device tokens). */
function outputContent(channel: string, c: JsonObject): MessageOutput['content'] {
  switch (channel) {
    case 'email':
      return { subject: str(c.subject), html: str(c.html), text: str(c.text), headers: isPlainObject(c.headers) ? (c.headers as Record<string, string>) : null };
    case 'inbox':
      return { title: str(c.title), body: str(c.body), action_url: str(c.action_url) };
    case 'sms':
      return { text: str(c.text) };
    case 'push':
      return { title: str(c.title), body: str(c.body), data: isPlainObject(c.data) ? (c.data as JsonObject) : null };
    case 'chat':
      return { text: str(c.text), blocks: Array.isArray(c.blocks) ? c.blocks : null };
    default:
      return { body: JSON.stringify(c) };
  }
}

export interface NewMessage {
  workspaceId: string;
  messageId: string;
  requestId?: string | null;
  runId?: string | null;
  recipient: string | null;
  notification: string | null;
  to?: JsonObject;
  workflowId?: string | null;
  /** The /send request, so its workflow carries only ids. */
  request?: JsonObject | null;
  /** A delayed message's wake time. */
  scheduledFor?: Date | null;
}

export interface TransitionDetail {
  channel?: string;
  error?: string;
  reason?: string;
  detail?: JsonObject;
}

/** Messages, their status history, and the one place status changes (and their outbound events) are written. */
@Injectable()
export class MessagesService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly outbox: OutboxService) {}

  /** Records a message as ENQUEUED once (with its ENQUEUED history entry, in one statement); later calls return the stored row. */
  async enqueue(m: NewMessage): Promise<MessageRow> {
    const rows = (await this.db.query(
      `WITH m AS (
         INSERT INTO messages (workspace_id, id, request_id, run_id, recipient, notification, status, "to", workflow_id, request, scheduled_for)
         VALUES ($1, $2, $3, $4, $5, $6, 'ENQUEUED', $7, $8, $9, $10) ON CONFLICT (workspace_id, id) DO NOTHING RETURNING *),
       e AS (INSERT INTO message_events (workspace_id, message_id, status) SELECT workspace_id, id, 'ENQUEUED' FROM m ON CONFLICT DO NOTHING)
       SELECT * FROM m`,
      [m.workspaceId, m.messageId, m.requestId ?? null, m.runId ?? null, m.recipient, m.notification, JSON.stringify(m.to ?? {}), m.workflowId ?? null,
        m.request ? JSON.stringify(m.request) : null, m.scheduledFor ?? null],
    )) as MessageRow[];
    return rows[0] ?? this.row(m.workspaceId, m.messageId);
  }

  /**
   * Writes a status change in its own transaction and wakes the emitter if it produced an
   * outbound event. Returns whether the status was new to the history.
   */
  async transition(workspaceId: string, messageId: string, status: MessageStatus, d: TransitionDetail = {}): Promise<boolean> {
    const { added, outbound } = await this.db.transaction((tx) => this.transitionsIn(tx, workspaceId, messageId, [{ status, ...d }]));
    if (outbound) void this.outbox.wake(workspaceId);
    return added.length > 0;
  }

  /** One status change inside the caller's transaction (see transitionsIn). */
  async transitionIn(tx: Queryable, workspaceId: string, messageId: string, status: MessageStatus, d: TransitionDetail = {}): Promise<{ isNew: boolean; outbound: boolean }> {
    const { added, outbound } = await this.transitionsIn(tx, workspaceId, messageId, [{ status, ...d }]);
    return { isNew: added.length > 0, outbound };
  }

  /**
   * Status changes inside the caller's transaction, in one statement: each status once in the
   * history, the message's status moving only forward, the providers it went out through, and
   * the new statuses' outbound events appended to the outbox in the same transaction. The caller
   * wakes the emitter after commit when `outbound` is true.
   */
  async transitionsIn(
    tx: Queryable,
    workspaceId: string,
    messageId: string,
    changes: Array<TransitionDetail & { status: MessageStatus }>,
    providers?: JsonObject,
  ): Promise<{ row: MessageRow | null; added: MessageStatus[]; outbound: boolean }> {
    const best = changes.reduce((a, c) => (STATUS_RANK[c.status] > STATUS_RANK[a.status] ? c : a));
    const stamps = [...new Set(changes.flatMap((c) => (STATUS_TIMESTAMP[c.status] ? [STATUS_TIMESTAMP[c.status]!] : [])))];
    const error = changes.find((c) => c.error)?.error ?? null;
    const reason = changes.find((c) => c.reason)?.reason ?? null;
    const [rows] = (await tx.query(
      `WITH ev AS (
         INSERT INTO message_events (workspace_id, message_id, status, channel, detail)
         SELECT $1::varchar, $2::varchar, c->>'status', c->>'channel', c->'detail' FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(c, n) ORDER BY n
         ON CONFLICT (workspace_id, message_id, status) DO NOTHING RETURNING status)
       UPDATE messages SET
         status = CASE WHEN (CASE $4::text ${RANK_CASE} END) > (CASE status ${RANK_CASE} END) THEN $4 ELSE status END,
         ${stamps.map((c) => `${c} = COALESCE(${c}, now()),`).join(' ')}
         error = COALESCE($5, error), reason = COALESCE($6, reason), providers = providers || $7::jsonb, updated_at = now()
       WHERE workspace_id = $1 AND id = $2
       RETURNING messages.*, ARRAY(SELECT status FROM ev) AS added,
         (SELECT row_to_json(x) FROM (SELECT ${INTEGRATION_STATE} FROM rudderstack_integrations i WHERE i.workspace_id = $1 AND i.enabled) x) AS integration`,
      [workspaceId, messageId, JSON.stringify(changes.map((c) => ({ status: c.status, channel: c.channel ?? null, detail: c.detail ?? null }))),
        best.status, error, reason, JSON.stringify(providers ?? {})],
    )) as [Array<MessageRow & { added: MessageStatus[]; integration: { journey: boolean; polling_ms_left: number } | null }>, number];
    const row = rows[0];
    if (!row) return { row: null, added: [], outbound: false };
    const added = changes.map((c) => c.status).filter((st) => row.added.includes(st));
    if (!added.length || !row.integration) return { row, added, outbound: false };
    const view = toMessageView(row);
    const now = Date.now();
    const events = added.flatMap((st) => messageEvent(workspaceId, st, view, now) ?? []);
    const outbound = await this.outbox.append(tx, workspaceId, events, 'message', { journey: row.integration.journey, pollingMsLeft: row.integration.polling_ms_left });
    return { row, added, outbound };
  }

  async row(workspaceId: string, messageId: string): Promise<MessageRow> {
    const rows = (await this.db.query('SELECT * FROM messages WHERE workspace_id = $1 AND id = $2', [workspaceId, messageId])) as MessageRow[];
    if (!rows[0]) throw notFound(`message ${JSON.stringify(messageId)} not found`);
    return rows[0];
  }

  /**
   * GET /messages/{id}/output (Courier's shape): what was rendered for each channel the message
   * was to go out on, as it was sent — not today's template rendered again — with how each
   * channel's attempt ended. Empty while the message is still waiting to be rendered.
   */
  async output(workspaceId: string, messageId: string): Promise<{ results: MessageOutput[] }> {
    const row = await this.row(workspaceId, messageId);
    const rendered = isPlainObject(row.content) ? row.content : {};
    const attempts = (await this.db.query(`SELECT channel, state, error FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2`, [workspaceId, messageId])) as Array<{
      channel: string; state: string; error: string | null;
    }>;
    const byChannel = new Map(attempts.map((a) => [a.channel, a]));
    const results = (row.channels ?? []).flatMap((channel): MessageOutput[] => {
      const c = rendered[channel];
      if (!isPlainObject(c)) return [];
      const content = outputContent(channel, c);
      const attempt = byChannel.get(channel);
      return [{ channel, channel_id: channel, content, status: attempt?.state ?? 'not attempted', error: attempt?.error ?? null }];
    });
    return { results };
  }

  async view(workspaceId: string, messageId: string): Promise<MessageView> {
    return toMessageView(await this.row(workspaceId, messageId));
  }

  async update(workspaceId: string, messageId: string, fields: Partial<Pick<MessageRow, 'channels' | 'routing' | 'content' | 'to' | 'recipient' | 'reason' | 'scheduled_for'>>): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [workspaceId, messageId];
    for (const [key, value] of Object.entries(fields)) {
      sets.push(`"${key}" = $${params.push(typeof value === 'object' && value !== null && !(value instanceof Date) ? JSON.stringify(value) : value)}`);
    }
    if (!sets.length) return;
    await this.db.query(`UPDATE messages SET ${sets.join(', ')}, updated_at = now() WHERE workspace_id = $1 AND id = $2`, params);
  }

  async setProvider(workspaceId: string, messageId: string, channel: string, provider: JsonObject): Promise<void> {
    await this.db.query(
      `UPDATE messages SET providers = providers || jsonb_build_object($3::text, $4::jsonb), updated_at = now() WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, messageId, channel, JSON.stringify(provider)],
    );
  }

  async history(workspaceId: string, messageId: string) {
    await this.row(workspaceId, messageId);
    const rows = (await this.db.query(
      'SELECT status, channel, detail, at FROM message_events WHERE workspace_id = $1 AND message_id = $2 ORDER BY at, id',
      [workspaceId, messageId],
    )) as Array<{ status: string; channel: string | null; detail: JsonObject | null; at: Date }>;
    const attempts = (await this.db.query(
      `SELECT channel, provider_id, provider, state, status_code, response, error, provider_message_id, started_at, sent_at, finished_at
       FROM delivery_attempts WHERE workspace_id = $1 AND message_id = $2 ORDER BY id`,
      [workspaceId, messageId],
    )) as Array<{ channel: string; provider_id: string; provider: string; state: 'sending' | 'accepted' | 'failed'; status_code: number | null; response: string | null; error: string | null; provider_message_id: string | null; started_at: Date; sent_at: Date | null; finished_at: Date | null }>;
    return {
      message_id: messageId,
      items: rows.map((r) => ({ status: r.status, channel: r.channel, detail: r.detail, at: r.at.toISOString() })),
      attempts: attempts.map((a) => ({ ...a, started_at: a.started_at.toISOString(), sent_at: a.sent_at?.toISOString() ?? null, finished_at: a.finished_at?.toISOString() ?? null })),
    };
  }

  async list(workspaceId: string, filter: { recipient?: string; status?: string; run_id?: string }, limit: number, cursor?: string): Promise<Page<MessageView>> {
    const params: unknown[] = [workspaceId];
    const where = ['workspace_id = $1'];
    if (filter.recipient) where.push(`recipient = $${params.push(filter.recipient)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    // A value that is not a run id matches nothing (compared as uuid, so the index is used).
    if (filter.run_id) where.push(UUID.test(filter.run_id) ? `run_id = $${params.push(filter.run_id)}::uuid` : 'false');
    const after = MESSAGES_KEYSET.where(cursor, params);
    if (after) where.push(after);
    const rows = (await this.db.query(
      `SELECT *, ${MESSAGES_KEYSET.select()} FROM messages WHERE ${where.join(' AND ')} ORDER BY ${MESSAGES_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as Array<MessageRow & Record<string, unknown>>;
    return MESSAGES_KEYSET.page(rows, limit, toMessageView);
  }
}

const ms = (d: Date | null) => (d ? d.getTime() : null);

export function toMessageView(r: MessageRow): MessageView {
  return {
    id: r.id,
    status: r.status,
    recipient: r.recipient,
    notification: r.notification,
    event: r.notification,
    run_id: r.run_id,
    request_id: r.request_id,
    channels: r.channels,
    providers: r.providers,
    to: r.to,
    error: r.error,
    reason: r.reason,
    enqueued: r.enqueued_at.getTime(),
    sent: ms(r.sent_at),
    delivered: ms(r.delivered_at),
    opened: ms(r.opened_at),
    clicked: ms(r.clicked_at),
    canceled: ms(r.canceled_at),
    scheduled_for: r.scheduled_for?.toISOString() ?? null,
  };
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JsonObject } from '../../workflows/shared/json';
import { notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';
import type { MessageStatus } from './delivery.types';
import { messageEvent } from '../outbox/outbound-event';
import type { Queryable } from '../database/queryable';
import { OutboxService } from '../outbox/outbox.service';
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
  enqueued_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  opened_at: Date | null;
  clicked_at: Date | null;
  canceled_at: Date | null;
}

/** The message object of the API and of outbound events: times are epoch ms. */
export interface MessageView {
  id: string;
  status: MessageStatus;
  recipient: string | null;
  notification: string | null;
  event: string | null;
  run_id: string | null;
  request_id: string | null;
  channels: string[];
  providers: JsonObject;
  to: JsonObject;
  error: string | null;
  reason: string | null;
  enqueued: number;
  sent: number | null;
  delivered: number | null;
  opened: number | null;
  clicked: number | null;
  canceled: number | null;
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

  /** Records a message as ENQUEUED once; later calls return the stored row. */
  async enqueue(m: NewMessage): Promise<MessageRow> {
    const inserted = (await this.db.query(
      `INSERT INTO messages (workspace_id, id, request_id, run_id, recipient, notification, status, "to", workflow_id, request)
       VALUES ($1, $2, $3, $4, $5, $6, 'ENQUEUED', $7, $8, $9) ON CONFLICT (workspace_id, id) DO NOTHING RETURNING *`,
      [m.workspaceId, m.messageId, m.requestId ?? null, m.runId ?? null, m.recipient, m.notification, JSON.stringify(m.to ?? {}), m.workflowId ?? null,
        m.request ? JSON.stringify(m.request) : null],
    )) as MessageRow[];
    if (!inserted.length) return this.row(m.workspaceId, m.messageId);
    await this.db.query(`INSERT INTO message_events (workspace_id, message_id, status) VALUES ($1, $2, 'ENQUEUED') ON CONFLICT DO NOTHING`, [m.workspaceId, m.messageId]);
    return inserted[0];
  }

  /**
   * Writes a status change in its own transaction and wakes the emitter if it produced an
   * outbound event. Returns whether the status was new to the history.
   */
  async transition(workspaceId: string, messageId: string, status: MessageStatus, d: TransitionDetail = {}): Promise<boolean> {
    const { isNew, outbound } = await this.db.transaction((tx) => this.transitionIn(tx, workspaceId, messageId, status, d));
    if (outbound) void this.outbox.wake(workspaceId);
    return isNew;
  }

  /**
   * A status change inside the caller's transaction: once per status in the history, the
   * message's status moving only forward, and its outbound event appended to the outbox in the
   * same transaction. The caller wakes the emitter after commit when `outbound` is true.
   */
  async transitionIn(tx: Queryable, workspaceId: string, messageId: string, status: MessageStatus, d: TransitionDetail = {}): Promise<{ isNew: boolean; outbound: boolean }> {
    const added = (await tx.query(
      `INSERT INTO message_events (workspace_id, message_id, status, channel, detail) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, message_id, status) DO NOTHING RETURNING id`,
      [workspaceId, messageId, status, d.channel ?? null, d.detail ? JSON.stringify(d.detail) : null],
    )) as unknown[];
    const column = STATUS_TIMESTAMP[status];
    const [rows] = (await tx.query(
      `UPDATE messages SET
         status = CASE WHEN (CASE $3::text ${RANK_CASE} END) > (CASE status ${RANK_CASE} END) THEN $3 ELSE status END,
         ${column ? `${column} = COALESCE(${column}, now()),` : ''}
         error = COALESCE($4, error), reason = COALESCE($5, reason), updated_at = now()
       WHERE workspace_id = $1 AND id = $2 RETURNING *`,
      [workspaceId, messageId, status, d.error ?? null, d.reason ?? null],
    )) as [MessageRow[], number];
    if (!added.length || !rows[0]) return { isNew: added.length > 0, outbound: false };
    const event = messageEvent(workspaceId, status, toMessageView(rows[0]), Date.now());
    const outbound = event ? await this.outbox.append(tx, workspaceId, [event], 'message') : false;
    return { isNew: true, outbound };
  }

  async row(workspaceId: string, messageId: string): Promise<MessageRow> {
    const rows = (await this.db.query('SELECT * FROM messages WHERE workspace_id = $1 AND id = $2', [workspaceId, messageId])) as MessageRow[];
    if (!rows[0]) throw notFound(`message ${JSON.stringify(messageId)} not found`);
    return rows[0];
  }

  async view(workspaceId: string, messageId: string): Promise<MessageView> {
    return toMessageView(await this.row(workspaceId, messageId));
  }

  async update(workspaceId: string, messageId: string, fields: Partial<Pick<MessageRow, 'channels' | 'routing' | 'content' | 'to' | 'recipient' | 'reason'>>): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [workspaceId, messageId];
    for (const [key, value] of Object.entries(fields)) {
      sets.push(`"${key}" = $${params.push(typeof value === 'object' && value !== null ? JSON.stringify(value) : value)}`);
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
    return { message_id: messageId, items: rows.map((r) => ({ status: r.status, channel: r.channel, detail: r.detail, at: r.at.toISOString() })) };
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
  };
}

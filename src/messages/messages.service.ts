import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JsonObject } from '../../workflows/shared/json';
import { badRequest, notFound } from '../common/errors/api-error';
import { decodeCursor, encodeCursor, Page } from '../common/http/pagination';
import type { MessageStatus } from './delivery.types';
import { MessageEventsPublisher } from './message-events.publisher';
import { STATUS_RANK, STATUS_TIMESTAMP } from './message-status';

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
}

export interface TransitionDetail {
  channel?: string;
  error?: string;
  reason?: string;
  detail?: JsonObject;
}

/** Messages, their status history, and the one place status changes are written and published. */
@Injectable()
export class MessagesService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly publisher: MessageEventsPublisher) {}

  /** Records a message as ENQUEUED once; later calls return the stored row. */
  async enqueue(m: NewMessage): Promise<MessageRow> {
    const inserted = (await this.db.query(
      `INSERT INTO messages (workspace_id, id, request_id, run_id, recipient, notification, status, "to", workflow_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'ENQUEUED', $7, $8) ON CONFLICT (workspace_id, id) DO NOTHING RETURNING id`,
      [m.workspaceId, m.messageId, m.requestId ?? null, m.runId ?? null, m.recipient, m.notification, JSON.stringify(m.to ?? {}), m.workflowId ?? null],
    )) as unknown[];
    if (inserted.length) await this.transition(m.workspaceId, m.messageId, 'ENQUEUED');
    return this.row(m.workspaceId, m.messageId);
  }

  /**
   * Writes a status change: once per status in the history, the message's status moving only
   * forward, and the change published. Returns whether it was new; it is published either way,
   * so a retried activity that crashed after the write still publishes (subscribers dedupe).
   */
  async transition(workspaceId: string, messageId: string, status: MessageStatus, d: TransitionDetail = {}): Promise<boolean> {
    const isNew = await this.db.transaction(async (tx) => {
      const added = (await tx.query(
        `INSERT INTO message_events (workspace_id, message_id, status, channel, detail) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id, message_id, status) DO NOTHING RETURNING id`,
        [workspaceId, messageId, status, d.channel ?? null, d.detail ? JSON.stringify(d.detail) : null],
      )) as unknown[];
      const column = STATUS_TIMESTAMP[status];
      const ranks = Object.entries(STATUS_RANK).map(([s, r]) => `WHEN '${s}' THEN ${r}`).join(' ');
      await tx.query(
        `UPDATE messages SET
           status = CASE WHEN (CASE $3::text ${ranks} END) > (CASE status ${ranks} END) THEN $3 ELSE status END,
           ${column ? `${column} = COALESCE(${column}, now()),` : ''}
           error = COALESCE($4, error), reason = COALESCE($5, reason), updated_at = now()
         WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, messageId, status, d.error ?? null, d.reason ?? null],
      );
      return added.length > 0;
    });
    const message = await this.view(workspaceId, messageId);
    await this.publisher.publish({ workspaceId, messageId, status, at: Date.now(), message });
    return isNew;
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
    if (filter.run_id) where.push(`run_id::text = $${params.push(filter.run_id)}`);
    const after = decodeCursor(cursor);
    if (after) {
      const sep = after.indexOf('|');
      const at = after.slice(0, sep);
      if (sep < 0 || Number.isNaN(Date.parse(at))) throw badRequest('cursor is not valid');
      where.push(`(enqueued_at, id) < ($${params.push(at)}::timestamptz, $${params.push(after.slice(sep + 1))})`);
    }
    const rows = (await this.db.query(
      `SELECT * FROM messages WHERE ${where.join(' AND ')} ORDER BY enqueued_at DESC, id DESC LIMIT $${params.push(limit + 1)}`,
      params,
    )) as MessageRow[];
    const has_more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(toMessageView), has_more, cursor: has_more && last ? encodeCursor(`${last.enqueued_at.toISOString()}|${last.id}`) : null };
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

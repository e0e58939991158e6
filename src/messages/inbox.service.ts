import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { decodeCursor, encodeCursor } from '../common/http/pagination';
import { MessagesService } from './messages.service';

interface InboxRow {
  id: string;
  title: string | null;
  body: string | null;
  action_url: string | null;
  created_at: Date;
  read_at: Date | null;
  opened_at: Date | null;
  clicked_at: Date | null;
}

/** The in-app inbox: what a user sees, and the read/opened/clicked marks their client sends. */
@Injectable()
export class InboxService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly messages: MessagesService) {}

  async list(workspaceId: string, userId: string, limit: number, cursor?: string) {
    const params: unknown[] = [workspaceId, userId];
    let where = 'workspace_id = $1 AND user_id = $2';
    const after = decodeCursor(cursor);
    if (after) {
      const sep = after.indexOf('|');
      if (sep < 0 || Number.isNaN(Date.parse(after.slice(0, sep)))) throw badRequest('cursor is not valid');
      where += ` AND (created_at, id) < ($${params.push(after.slice(0, sep))}::timestamptz, $${params.push(after.slice(sep + 1))})`;
    }
    const rows = (await this.db.query(`SELECT * FROM inbox_messages WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.push(limit + 1)}`, params)) as InboxRow[];
    const has_more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({
        id: r.id, title: r.title, body: r.body, action_url: r.action_url, created_at: r.created_at.toISOString(),
        read: r.read_at !== null, opened: r.opened_at !== null, clicked: r.clicked_at !== null,
      })),
      has_more,
      cursor: has_more && last ? encodeCursor(`${last.created_at.toISOString()}|${last.id}`) : null,
    };
  }

  /** read marks the inbox item; opened and clicked also move the message's status. */
  async mark(workspaceId: string, messageId: string, what: 'read' | 'opened' | 'clicked') {
    const [, affected] = (await this.db.query(
      `UPDATE inbox_messages SET ${what}_at = COALESCE(${what}_at, now()) WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, messageId],
    )) as [unknown, number];
    if (!affected) throw notFound(`inbox message ${JSON.stringify(messageId)} not found`);
    if (what === 'opened' || what === 'clicked') {
      // A click implies the message was opened.
      await this.messages.transition(workspaceId, messageId, 'OPENED', { channel: 'inbox' });
      if (what === 'clicked') await this.messages.transition(workspaceId, messageId, 'CLICKED', { channel: 'inbox' });
    }
    return { id: messageId, status: (await this.messages.row(workspaceId, messageId)).status };
  }
}

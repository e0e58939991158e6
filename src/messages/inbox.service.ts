import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../common/errors/api-error';
import { Keyset } from '../common/http/pagination';
import { MessagesService } from './messages.service';

const INBOX_KEYSET = new Keyset([{ column: 'created_at', type: 'timestamptz' }, { column: 'id', type: 'text' }]);

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
    const where = ['workspace_id = $1 AND user_id = $2'];
    const after = INBOX_KEYSET.where(cursor, params);
    if (after) where.push(after);
    const rows = (await this.db.query(
      `SELECT *, ${INBOX_KEYSET.select()} FROM inbox_messages WHERE ${where.join(' AND ')} ORDER BY ${INBOX_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as Array<InboxRow & Record<string, unknown>>;
    return INBOX_KEYSET.page(rows, limit, (r) => ({
      id: r.id, title: r.title, body: r.body, action_url: r.action_url, created_at: r.created_at.toISOString(),
      read: r.read_at !== null, opened: r.opened_at !== null, clicked: r.clicked_at !== null,
    }));
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

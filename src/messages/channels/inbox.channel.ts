import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelError, ChannelReceipt, ChannelSend, ChannelTransport } from './channel.types';

/** The in-app inbox: messages stored in Postgres, read through /inbox. Storing it is delivering it. */
@Injectable()
export class InboxChannel implements ChannelTransport {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async send(message: ChannelSend): Promise<ChannelReceipt> {
    if (!message.recipient) throw new ChannelError('inbox needs a user id', false);
    const c = message.content as { title?: string; body?: string; action_url?: string };
    // Keyed by the message id: a retry stores nothing twice.
    await this.db.query(
      `INSERT INTO inbox_messages (workspace_id, id, user_id, title, body, action_url) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_id, id) DO NOTHING`,
      [message.workspaceId, message.messageId, message.recipient, c.title ?? null, c.body ?? null, c.action_url ?? null],
    );
    return { provider: 'inbox', response: 'stored', delivered: true };
  }
}

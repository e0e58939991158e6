import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../common/errors/api-error';
import { MessagesService } from './messages.service';

/** A provider's delivery receipt applied to the message it sent. */
@Injectable()
export class ReceiptsService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly messages: MessagesService) {}

  /** The message (found by the provider's id for it, or Herald's) moves to DELIVERED or UNDELIVERABLE, once. */
  async record(
    workspaceId: string,
    providerId: string,
    ids: { messageId?: string; providerMessageId?: string },
    status: 'DELIVERED' | 'UNDELIVERABLE',
    error?: string,
  ): Promise<void> {
    const [attempt] = (await this.db.query(
      `SELECT message_id, channel, provider, provider_message_id FROM delivery_attempts
       WHERE workspace_id = $1 AND provider_id = $2 AND state = 'accepted' AND ($3::text IS NULL OR provider_message_id = $3) AND ($4::text IS NULL OR message_id = $4)
       ORDER BY id DESC LIMIT 1`,
      [workspaceId, providerId, ids.providerMessageId ?? null, ids.messageId ?? null],
    )) as Array<{ message_id: string; channel: string; provider: string; provider_message_id: string | null }>;
    // Only a message this provider accepted can get its receipt: nobody can mark another provider's messages.
    if (!attempt) throw notFound('no message sent through this provider has that id');
    await this.messages.transition(workspaceId, attempt.message_id, status, {
      channel: attempt.channel,
      error,
      detail: { provider: attempt.provider, provider_id: providerId, provider_message_id: attempt.provider_message_id, receipt: true },
    });
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JsonObject } from '../../workflows/shared/json';
import { notFound } from '../common/errors/api-error';
import type { Queryable } from '../database/queryable';
import type { ProviderAcceptance } from './channels/channel.types';
import type { MessageStatus } from './delivery.types';
import { MessagesService } from './messages.service';

type Outcome = 'DELIVERED' | 'UNDELIVERABLE';
type ReceiptIds = { messageId?: string; providerMessageId?: string };

/**
 * A provider's delivery receipt applied to the message it sent. A receipt can beat the
 * acceptance it is about (a status callback sent while Herald is still recording the provider's
 * answer): it is kept in `pending_receipts` and applied in the same transaction that records
 * the acceptance (DeliveryService), so no receipt is lost to that race.
 */
@Injectable()
export class ReceiptsService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly messages: MessagesService) {}

  /** The message (found by the provider's id for it, or Herald's) moves to DELIVERED or UNDELIVERABLE, once; or the receipt waits for it. */
  async record(workspaceId: string, providerId: string, ids: ReceiptIds, status: Outcome, error?: string): Promise<'applied' | 'pending'> {
    if (await this.apply(workspaceId, providerId, ids, status, error)) return 'applied';
    // Only a message of this workspace that this provider is sending can wait by Herald's id; a
    // provider's own id cannot be checked before the acceptance names it (the signature vouches for it).
    if (!ids.providerMessageId) {
      const [sending] = (await this.db.query(
        `SELECT 1 FROM delivery_attempts WHERE workspace_id = $1 AND provider_id = $2 AND message_id = $3 AND state = 'sending' LIMIT 1`,
        [workspaceId, providerId, ids.messageId],
      )) as unknown[];
      if (!sending) throw notFound('no message sent through this provider has that id');
    }
    const [{ id }] = (await this.db.query(
      `INSERT INTO pending_receipts (workspace_id, provider_id, provider_message_id, message_id, status, error) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [workspaceId, providerId, ids.providerMessageId ?? null, ids.messageId ?? null, status, error ?? null],
    )) as Array<{ id: string }>;
    // The acceptance may have been recorded between the lookup and the insert, its own look at
    // pending receipts made before this one existed: then it is applied here (statuses count once).
    if (await this.apply(workspaceId, providerId, ids, status, error)) {
      await this.db.query('DELETE FROM pending_receipts WHERE id = $1', [id]);
      return 'applied';
    }
    return 'pending';
  }

  /**
   * Inside the transaction that records a provider's acceptance: takes the receipts that came
   * first for it (the latest wins) as the status to add after SENT.
   */
  async takePendingIn(tx: Queryable, workspaceId: string, messageId: string, by: ProviderAcceptance): Promise<{ status: MessageStatus; error?: string; detail: JsonObject } | null> {
    const rows = (await tx.query(
      `DELETE FROM pending_receipts WHERE workspace_id = $1 AND provider_id = $2
         AND (provider_message_id IS NULL OR provider_message_id = $3) AND (message_id IS NULL OR message_id = $4)
       RETURNING id, status, error`,
      [workspaceId, by.providerId, by.providerMessageId, messageId],
    )) as [Array<{ id: string; status: Outcome; error: string | null }>, number];
    const latest = rows[0].sort((a, b) => Number(b.id) - Number(a.id))[0];
    if (!latest) return null;
    return { status: latest.status, error: latest.error ?? undefined, detail: receiptDetail(by.provider, by.providerId, by.providerMessageId) };
  }

  private async apply(workspaceId: string, providerId: string, ids: ReceiptIds, status: Outcome, error?: string): Promise<boolean> {
    const [attempt] = (await this.db.query(
      `SELECT message_id, channel, provider, provider_message_id FROM delivery_attempts
       WHERE workspace_id = $1 AND provider_id = $2 AND state = 'accepted' AND ($3::text IS NULL OR provider_message_id = $3) AND ($4::text IS NULL OR message_id = $4)
       ORDER BY id DESC LIMIT 1`,
      [workspaceId, providerId, ids.providerMessageId ?? null, ids.messageId ?? null],
    )) as Array<{ message_id: string; channel: string; provider: string; provider_message_id: string | null }>;
    // Only a message this provider accepted can get its receipt: nobody can mark another provider's messages.
    if (!attempt) return false;
    await this.messages.transition(workspaceId, attempt.message_id, status, {
      channel: attempt.channel,
      error,
      detail: receiptDetail(attempt.provider, providerId, attempt.provider_message_id),
    });
    return true;
  }
}

function receiptDetail(provider: string, providerId: string, providerMessageId: string | null): JsonObject {
  return { provider, provider_id: providerId, provider_message_id: providerMessageId, receipt: true };
}

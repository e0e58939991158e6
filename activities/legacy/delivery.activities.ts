import { ApplicationFailure } from '@temporalio/common';
import type { ChannelName } from '../../src/notifications/notification.schema';
import type { DeliveryService } from '../../src/messages/delivery.service';
import type { DeliveryPlan, DeliveryRequest, DeliveryResult } from '../../src/messages/delivery.types';

/**
 * Delivery activities of legacy workflows (workflows/legacy/delivery): one per channel attempt.
 * They now share the leased, compare-and-set channel claim, so legacy runs cannot send twice either.
 */
export function createLegacyDeliveryActivities({ delivery }: { delivery: DeliveryService }) {
  return {
    /** Idempotent: the message row is keyed by its id; a prepared message keeps its plan. */
    prepareMessage: (request: DeliveryRequest): Promise<DeliveryPlan> => delivery.prepare(request),

    /** Idempotent: never sends a message id twice on a channel. */
    async sendOnChannel(req: { workspaceId: string; messageId: string; channel: ChannelName }): Promise<DeliveryResult> {
      const outcome = await delivery.sendOnChannel(req.workspaceId, req.messageId, req.channel);
      if (outcome.kind === 'accepted') return outcome.result;
      if (outcome.kind === 'canceled') throw ApplicationFailure.nonRetryable('message was canceled', 'MessageCanceled');
      if (outcome.kind === 'failed') throw ApplicationFailure.nonRetryable(outcome.error, 'ChannelRejected');
      throw new Error(outcome.error);
    },

    /** Idempotent: a status appears once in the history. */
    markUndeliverable: (req: { workspaceId: string; messageId: string; error: string }): Promise<DeliveryResult> =>
      delivery.markUndeliverable(req.workspaceId, req.messageId, req.error),

    /** Idempotent. */
    async markCanceled(req: { workspaceId: string; messageId: string }): Promise<void> {
      await delivery.cancelIfUnsent(req.workspaceId, req.messageId);
    },

    /** Read-only. */
    tenantMembers: (req: { workspaceId: string; tenantId: string }): Promise<string[]> => delivery.tenantMembers(req.workspaceId, req.tenantId),
  };
}

export type DeliveryActivities = ReturnType<typeof createLegacyDeliveryActivities>;

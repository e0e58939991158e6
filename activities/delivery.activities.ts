import { ApplicationFailure } from '@temporalio/common';
import { isRetryable } from '../src/automations/engine/retryable';
import type { DeliveryService } from '../src/messages/delivery.service';
import type { DeliveryRequest, DeliveryResult } from '../src/messages/delivery.types';
import type { FanOutService } from '../src/messages/fan-out.service';
import type { MessagesService } from '../src/messages/messages.service';

/** Activities of the message and tenant fan-out workflows (local activities). */
export function createDeliveryActivities({ delivery, messages, fanOut }: { delivery: DeliveryService; messages: MessagesService; fanOut: FanOutService }) {
  return {
    /** Idempotent by message id: delivery never sends one message id twice on a channel. */
    /** `released`: the message's quiet-hours hold is over (its workflow slept until the window opened). */
    async deliverMessageById(req: { workspaceId: string; messageId: string; released?: boolean }): Promise<DeliveryResult> {
      const request = (await messages.row(req.workspaceId, req.messageId)).request as DeliveryRequest | null;
      if (!request) throw ApplicationFailure.nonRetryable(`message ${req.messageId} has no stored request`, 'MessageNotFound');
      try {
        return await delivery.deliver(request, { quietHours: !req.released });
      } catch (err) {
        if (isRetryable(err)) throw err;
        // A retry cannot fix it: the message ends UNDELIVERABLE with the reason instead of retrying forever.
        return delivery.markUndeliverable(req.workspaceId, req.messageId, `delivery failed: ${(err as Error).message}`);
      }
    },

    /** Idempotent: only a message not yet claimed by a channel attempt becomes CANCELED. */
    async cancelMessageById(req: { workspaceId: string; messageId: string }): Promise<void> {
      await delivery.cancelIfUnsent(req.workspaceId, req.messageId);
    },

    /** Idempotent: member message ids derive from the request and the member; starts are "already started" on repeat. */
    fanOutToTenant: (req: { workspaceId: string; requestId: string; tenantId: string; delay: unknown }): Promise<{ messageIds: string[] }> =>
      fanOut.fanOutToTenant(req.workspaceId, req.requestId, req.tenantId, req.delay as never),
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;

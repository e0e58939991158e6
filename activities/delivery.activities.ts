import type { ChannelName } from '../src/notifications/notification.schema';
import type { DeliveryService } from '../src/messages/delivery.service';
import type { DeliveryPlan, DeliveryRequest, DeliveryResult } from '../src/messages/delivery.types';

/** Activities of delivery (used by message workflows and by automation runs' send steps). */
export function createDeliveryActivities({ delivery }: { delivery: DeliveryService }) {
  return {
    /** Idempotent: the message row is keyed by its id; a prepared message keeps its plan. */
    prepareMessage: (request: DeliveryRequest): Promise<DeliveryPlan> => delivery.prepare(request),

    /** Idempotent: never sends a message id twice on a channel (see DeliveryService.sendOnChannel). */
    sendOnChannel: (req: { workspaceId: string; messageId: string; channel: ChannelName }): Promise<DeliveryResult> =>
      delivery.sendOnChannel(req.workspaceId, req.messageId, req.channel),

    /** Idempotent: a status appears once in the history. */
    markUndeliverable: (req: { workspaceId: string; messageId: string; error: string }): Promise<DeliveryResult> =>
      delivery.markUndeliverable(req.workspaceId, req.messageId, req.error),

    /** Idempotent: a status appears once in the history. */
    markCanceled: (req: { workspaceId: string; messageId: string }): Promise<void> => delivery.markCanceled(req.workspaceId, req.messageId),

    /** Read-only. */
    tenantMembers: (req: { workspaceId: string; tenantId: string }): Promise<string[]> => delivery.tenantMembers(req.workspaceId, req.tenantId),
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;

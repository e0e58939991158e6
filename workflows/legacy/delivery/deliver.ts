import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { DeliveryActivities } from '../../../activities/legacy/delivery.activities';
import type { ChannelName } from '../../../src/notifications/notification.schema';
import type { DeliveryRequest, DeliveryResult, MessageStatus } from '../../../src/messages/delivery.types';

const bookkeeping = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One channel attempt: retried a few times with backoff (SMTP down, webhook 5xx), heartbeat so a
 * dead worker's attempt is taken over within seconds. After the last attempt the channel has failed.
 */
const transport = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4, nonRetryableErrorTypes: ['ChannelRejected', 'MessageCanceled'] },
});

const RANK: Partial<Record<MessageStatus, number>> = { SENT: 1, DELIVERED: 2, OPENED: 3, CLICKED: 4 };

/**
 * Delivers one message durably, inside whichever workflow calls it (a message workflow or an
 * automation run): prepare (template, routing, rendering), then channels in order — `single`
 * stops at the first that succeeds (failover), `all` sends on each. No channel left: UNDELIVERABLE.
 */
export async function deliver(request: DeliveryRequest): Promise<DeliveryResult> {
  const plan = await bookkeeping.prepareMessage(request);
  if (plan.final) return { messageId: plan.messageId, status: plan.final };
  const errors: string[] = [];
  let best: DeliveryResult | undefined;
  for (const channel of plan.channels as ChannelName[]) {
    try {
      const result = await transport.sendOnChannel({ workspaceId: request.workspaceId, messageId: plan.messageId, channel });
      if (!best || (RANK[result.status] ?? 0) > (RANK[best.status] ?? 0)) best = result;
      if (plan.method === 'single') break;
    } catch (err) {
      if (isCancellation(err)) throw err;
      errors.push(`${channel}: ${failureMessage(err)}`);
    }
  }
  if (best) return best;
  return bookkeeping.markUndeliverable({ workspaceId: request.workspaceId, messageId: plan.messageId, error: errors.join('; ') });
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.message;
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export { bookkeeping as deliveryBookkeeping };

import { CancellationScope, isCancellation, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { DeliveryActivities } from '../../activities/delivery.activities';
import type { DeliveryResult } from '../../src/messages/delivery.types';
import { parseDuration, untilToDelayMs } from '../shared/durations';
import { legacyMessageWorkflow, type LegacyMessageWorkflowInput } from '../legacy/delivery/message.workflow';

export interface MessageWorkflowInput {
  workspaceId: string;
  messageId: string;
  delay?: { duration?: string | number; until?: string } | null;
}

/**
 * Delivery is one local activity: prepare, every channel attempt with failover, the status
 * changes and their outbox rows. A slow provider keeps the workflow task alive by the SDK's
 * heartbeat; only one attempt at a time may own a channel delivery (a lease in Postgres).
 */
const delivery = proxyLocalActivities<DeliveryActivities>({
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One message sent through POST /send (`message:<workspace>:<messageId>`): an optional durable
 * delay, then delivery. The request is in the message row; the workflow carries ids only.
 */
export async function messageWorkflow(input: MessageWorkflowInput | LegacyMessageWorkflowInput): Promise<DeliveryResult> {
  // Started before the lean workflow (the whole request in the input): the legacy code replays and finishes it.
  if ('request' in input) return legacyMessageWorkflow(input);
  const ids = { workspaceId: input.workspaceId, messageId: input.messageId };
  try {
    if (input.delay) {
      const ms = input.delay.duration !== undefined ? parseDuration(input.delay.duration) : untilToDelayMs(input.delay.until, Date.now());
      if (ms > 0) await sleep(ms);
    }
    const result = await delivery.deliverMessageById(ids);
    if (!result.heldUntil) return result;
    // Quiet hours: sleep until they open, then deliver with the hold released.
    const heldMs = Date.parse(result.heldUntil) - Date.now();
    if (heldMs > 0) await sleep(heldMs);
    return await delivery.deliverMessageById({ ...ids, released: true });
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => delivery.cancelMessageById(ids));
    throw err;
  }
}

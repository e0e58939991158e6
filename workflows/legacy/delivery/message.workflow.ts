import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { DeliveryRequest, DeliveryResult } from '../../../src/messages/delivery.types';
import { parseDuration, untilToDelayMs } from '../../shared/durations';
import { deliver, deliveryBookkeeping } from './deliver';

export interface LegacyMessageWorkflowInput {
  request: DeliveryRequest;
  delay?: { duration?: string | number; until?: string } | null;
}

/**
 * One message sent through POST /send (`message:<workspace>:<messageId>`): an optional durable
 * delay, then delivery. Canceled before it is sent, the message ends CANCELED.
 */
export async function legacyMessageWorkflow(input: LegacyMessageWorkflowInput): Promise<DeliveryResult> {
  try {
    if (input.delay) {
      const ms = input.delay.duration !== undefined ? parseDuration(input.delay.duration) : untilToDelayMs(input.delay.until, Date.now());
      if (ms > 0) await sleep(ms);
    }
    return await deliver(input.request);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() =>
        deliveryBookkeeping.markCanceled({ workspaceId: input.request.workspaceId, messageId: input.request.messageId }),
      );
    }
    throw err;
  }
}

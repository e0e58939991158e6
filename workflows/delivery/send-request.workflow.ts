import { proxyLocalActivities } from '@temporalio/workflow';
import type { DeliveryActivities } from '../../activities/delivery.activities';
import type { DeliveryRequest } from '../../src/messages/delivery.types';
import { legacySendRequestWorkflow } from '../legacy/delivery/send-request.workflow';
import type { MessageWorkflowInput } from './message.workflow';

const delivery = proxyLocalActivities<DeliveryActivities>({
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface SendRequestInput {
  workspaceId: string;
  requestId: string;
  tenantId: string;
  delay?: MessageWorkflowInput['delay'];
}

/**
 * A POST /send to a tenant (`send:<workspace>:<requestId>`): one local activity records one
 * message per member (`<requestId>:<userId>`) and starts its message workflow, with ids derived
 * from the request and the member, so a retry sends nobody twice.
 */
export async function sendRequestWorkflow(
  input: SendRequestInput | { request: DeliveryRequest; tenantId: string; delay?: MessageWorkflowInput['delay'] },
): Promise<{ messageIds: string[] }> {
  // Started before the lean workflow (the whole request in the input): the legacy code replays and finishes it.
  if ('request' in input) return legacySendRequestWorkflow(input);
  const request = input;
  return delivery.fanOutToTenant({ workspaceId: request.workspaceId, requestId: request.requestId, tenantId: request.tenantId, delay: request.delay ?? null });
}

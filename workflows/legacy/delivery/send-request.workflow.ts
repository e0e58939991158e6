import { ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { DeliveryRequest } from '../../../src/messages/delivery.types';
import { deliveryBookkeeping } from './deliver';
import type { LegacyMessageWorkflowInput } from './message.workflow';

/**
 * A POST /send to a tenant (`send:<workspace>:<requestId>`): one message workflow per member,
 * each with its own id derived from the request and the member, so every member gets it once.
 */
export async function legacySendRequestWorkflow(input: { request: DeliveryRequest; tenantId: string; delay?: LegacyMessageWorkflowInput['delay'] }): Promise<{ messageIds: string[] }> {
  const { request, tenantId } = input;
  const members = await deliveryBookkeeping.tenantMembers({ workspaceId: request.workspaceId, tenantId });
  const messageIds: string[] = [];
  for (const userId of members) {
    const messageId = `${request.messageId}:${userId}`;
    await startChild('messageWorkflow', {
      workflowId: `message:${request.workspaceId}:${messageId}`,
      args: [{ request: { ...request, messageId, recipient: userId, tenantId }, delay: input.delay } satisfies LegacyMessageWorkflowInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    messageIds.push(messageId);
  }
  return { messageIds };
}

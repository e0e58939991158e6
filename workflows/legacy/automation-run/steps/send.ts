import { patched } from '@temporalio/workflow';
import type { SendStep } from '../../../shared/step-schema';
import type { DeliveryRequest, DeliveryResult } from '../../../../src/messages/delivery.types';
import { deliver } from '../../delivery/deliver';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/**
 * send: one message, delivered durably inside the run (channel attempts, failover and statuses
 * are workflow steps). The message id comes from the run and step, so a retry never sends twice.
 */
export async function runSend(session: RunSession, step: SendStep, path: string): Promise<StepOutcome> {
  const scope = session.scope(step);
  const s = session.resolve(step, scope);
  const messageId = s.idempotency_key ? `${session.runId}:${s.idempotency_key}` : `${session.runId}:${path}`;
  const request: DeliveryRequest = {
    workspaceId: session.workspaceId,
    messageId,
    runId: session.runId,
    recipient: (s.recipient as string | undefined) ?? session.context.recipient,
    template: (s.template as string | undefined) ?? null,
    message: s.message ?? null,
    brand: (s.brand as string | undefined) ?? session.context.brand,
    channels: s.channels ?? null,
    data: scope.data as Record<string, unknown>,
    profile: scope.profile as Record<string, unknown>,
  };
  // Runs started before delivery moved into the workflow keep their single delivery activity.
  const result: DeliveryResult = patched('delivery-in-workflow') ? await deliver(request) : await effects.deliverMessage(request);
  return { result, messageId: result.messageId };
}

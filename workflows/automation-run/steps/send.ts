import type { SendStep } from '../../../src/automations/steps/step.schema';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/** send: one message through the delivery activity; the message id comes from the run and step. */
export async function runSend(session: RunSession, step: SendStep, path: string): Promise<StepOutcome> {
  const scope = session.scope(step);
  const s = session.resolve(step, scope);
  const messageId = s.idempotency_key ? `${session.runId}:${s.idempotency_key}` : `${session.runId}:${path}`;
  const result = await effects.deliverMessage({
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
  });
  return { result, messageId: result.messageId };
}

import type { SendStep } from '../../../../workflows/shared/step-schema';
import type { DeliveryService } from '../../../messages/delivery.service';
import type { DeliveryRequest } from '../../../messages/delivery.types';
import type { StepCall, StepHandler, StepOutcome } from '../engine.types';

/**
 * send: one message, delivered inside this call (prepare, channel attempts with failover,
 * statuses). The message id comes from the run and step, so a retried call never sends twice.
 * Quiet hours make it wait (a durable timer in the run's workflow) and send when they open.
 */
export function sendStep(delivery: DeliveryService): StepHandler<SendStep> {
  const request = ({ run, path, scope, resolved: s, context }: StepCall<SendStep>): DeliveryRequest => {
    const recipient = (s.recipient as string | undefined) ?? context.recipient;
    return {
      workspaceId: run.workspace_id,
      messageId: s.idempotency_key ? `${run.id}:${s.idempotency_key}` : `${run.id}:${path}`,
      runId: run.id,
      recipient,
      template: (s.template as string | undefined) ?? null,
      message: s.message ?? null,
      brand: (s.brand as string | undefined) ?? context.brand,
      channels: s.channels ?? null,
      data: scope.data as Record<string, unknown>,
      profile: scope.profile as Record<string, unknown>,
      profileLoaded: recipient !== null && recipient === context.recipient && !s.message,
    };
  };
  return {
    async run(call): Promise<StepOutcome> {
      const result = await delivery.deliver(request(call), { quietHours: true });
      if (result.heldUntil) {
        const ms = Math.max(0, Date.parse(result.heldUntil) - Date.now());
        return { kind: 'wait', wait: { kind: 'sleep', ms }, waiting: { message_id: result.messageId, held_until: result.heldUntil, reason: 'QUIET_HOURS' } };
      }
      return { kind: 'done', result, messageId: result.messageId };
    },
    async resume(call): Promise<StepOutcome> {
      const result = await delivery.deliver(request(call), { quietHours: false });
      return { kind: 'done', result, messageId: result.messageId };
    },
  };
}

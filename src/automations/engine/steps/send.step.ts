import type { SendStep } from '../../../../workflows/shared/step-schema';
import type { DeliveryService } from '../../../messages/delivery.service';
import type { StepHandler } from '../engine.types';

/**
 * send: one message, delivered inside this call (prepare, channel attempts with failover,
 * statuses). The message id comes from the run and step, so a retried call never sends twice.
 */
export function sendStep(delivery: DeliveryService): StepHandler<SendStep> {
  return {
    async run({ run, path, scope, resolved: s, context }) {
      const messageId = s.idempotency_key ? `${run.id}:${s.idempotency_key}` : `${run.id}:${path}`;
      const recipient = (s.recipient as string | undefined) ?? context.recipient;
      const result = await delivery.deliver({
        workspaceId: run.workspace_id,
        messageId,
        runId: run.id,
        recipient,
        template: (s.template as string | undefined) ?? null,
        message: s.message ?? null,
        brand: (s.brand as string | undefined) ?? context.brand,
        channels: s.channels ?? null,
        data: scope.data as Record<string, unknown>,
        profile: scope.profile as Record<string, unknown>,
        profileLoaded: recipient !== null && recipient === context.recipient && !s.message,
      });
      return { kind: 'done', result, messageId: result.messageId };
    },
  };
}

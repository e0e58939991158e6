import type { SendListStep, SubscribeStep } from '../../../../workflows/shared/step-schema';
import type { ManyRecipientsSender } from '../../../broadcasts/many-recipients';
import type { ListsService } from '../../../lists/lists.service';
import { StepFailed, StepHandler } from '../engine.types';

/** subscribe: the run's recipient (or `recipient_id`) joins `list_id`; idempotent (a repeat changes nothing). */
export function subscribeStep(lists: ListsService): StepHandler<SubscribeStep> {
  return {
    async run({ run, context, resolved: s }) {
      const userId = (s.recipient_id as string | undefined) ?? context.recipient;
      if (!userId) throw new StepFailed('subscribe: the run has no recipient; give recipient_id');
      try {
        await lists.subscribe(run.workspace_id, s.list_id as string, userId);
      } catch (err) {
        if ((err as { getStatus?: () => number }).getStatus?.() === 400) throw new StepFailed(`subscribe: ${(err as Error).message}`);
        throw err;
      }
      return { kind: 'done', result: { list_id: s.list_id, recipient_id: userId } };
    },
  };
}

/**
 * send-list: one message per subscriber (`<run>:<path>:<user>`) through the broadcast engine,
 * which paces and records them; the step is done once the send is accepted, as a /send is.
 */
export function sendListStep(many: ManyRecipientsSender | undefined): StepHandler<SendListStep> {
  return {
    async run({ run, path, scope, resolved: s }) {
      if (!many) throw new StepFailed('send-list: sending to lists is not available in this process');
      const requestId = `${run.id}:${path}`;
      const source = s.list !== undefined ? { list_id: s.list as string } : { list_pattern: s.list_pattern as string };
      try {
        await many.sendToMany(run.workspace_id, requestId, source, { template: s.template as string, data: scope.data as Record<string, unknown>, runId: run.id }, null);
      } catch (err) {
        if ((err as { getStatus?: () => number }).getStatus?.() === 400) throw new StepFailed(`send-list: ${(err as Error).message}`);
        throw err;
      }
      return { kind: 'done', result: { request_id: requestId, ...source } };
    },
  };
}

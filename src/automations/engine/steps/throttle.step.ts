import { parseDuration } from '../../../../workflows/shared/durations';
import type { ThrottleStep } from '../../../../workflows/shared/step-schema';
import type { ThrottleService } from '../../runs/throttle.service';
import type { StepHandler } from '../engine.types';

/**
 * throttle: at most `max_allowed` runs pass this point per `period` for the scope (per user,
 * global to the automation, or a dynamic key); past the limit the rest of the run is skipped.
 * Counted in Postgres; a decision is keyed by run and step, so a retry gets the same answer.
 */
export function throttleStep(throttle: ThrottleService): StepHandler<ThrottleStep> {
  return {
    async run({ run, path, resolved: s, context }) {
      const automation = run.template_id ?? run.sequence ?? `adhoc:${run.source}`;
      const key =
        s.scope === 'dynamic'
          ? `dynamic:${String(s.throttle_key)}`
          : s.scope === 'global'
            ? `global:${automation}:${path}`
            : `user:${automation}:${path}:${context.recipient ?? ''}`;
      const { allowed } = await throttle.acquire({
        workspaceId: run.workspace_id, key, maxAllowed: s.max_allowed, periodMs: parseDuration(s.period), requestId: `${run.id}:${path}`,
      });
      return { kind: 'done', result: { allowed, key }, flow: allowed ? 'next' : 'stop' };
    },
  };
}

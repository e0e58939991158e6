import type { ThrottleStep } from '../../../shared/step-schema';
import { parseDuration } from '../../../shared/durations';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/**
 * throttle: at most `max_allowed` runs pass this point per `period` for the scope (per user,
 * global to the automation, or a dynamic key). Past the limit the rest of the run is skipped.
 * The count lives in Postgres, so it survives worker restarts.
 */
export async function runThrottle(session: RunSession, step: ThrottleStep, path: string): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope(step));
  const automation = session.input.templateId ?? session.input.sequence ?? `adhoc:${session.input.source}`;
  const key =
    s.scope === 'dynamic'
      ? `dynamic:${String(s.throttle_key)}`
      : s.scope === 'global'
        ? `global:${automation}:${path}`
        : `user:${automation}:${path}:${session.context.recipient ?? ''}`;
  const { allowed } = await effects.throttleAcquire({
    workspaceId: session.workspaceId,
    key,
    maxAllowed: s.max_allowed,
    periodMs: parseDuration(s.period),
    requestId: `${session.runId}:${path}`,
  });
  return { result: { allowed, key }, flow: allowed ? 'next' : 'stop' };
}

import { parseDuration } from '../../../../workflows/shared/durations';
import type { WaitForStep } from '../../../../workflows/shared/step-schema';
import type { RunsRepository } from '../../runs/runs.repository';
import { StepFailed, StepHandler } from '../engine.types';

/**
 * wait-for: registers the wait in Postgres; the dispatcher matches the recipient's track events
 * against it (`match` evaluated there) and wakes the run with a signal that carries no body.
 * On resume the matched event (if any) is read from the ledger.
 */
export function waitForStep(repo: RunsRepository): StepHandler<WaitForStep> {
  return {
    async run({ resolved: s, step, context }) {
      if (!context.recipient) throw new StepFailed('wait-for needs a recipient to wait on');
      const timeoutMs = parseDuration(s.timeout);
      return {
        kind: 'wait',
        wait: { kind: 'event', event: String(s.event), match: step.match, timeoutMs },
        waiting: { event: String(s.event), timeout_at: new Date(Date.now() + timeoutMs).toISOString() },
      };
    },
    async resume({ run, path }) {
      const matched = await repo.matchedEvent(run.workspace_id, run.id, path);
      return { kind: 'done', result: { matched: matched !== null, event: matched?.body ?? null } };
    },
  };
}

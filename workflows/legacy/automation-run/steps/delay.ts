import { sleep } from '@temporalio/workflow';
import type { DelayStep } from '../../../shared/step-schema';
import type { StepStatus } from '../../../shared/run-types';
import { parseDuration, untilToDelayMs } from '../../../shared/durations';
import type { RunSession, StepOutcome } from '../session';

/** delay: a durable timer; a cancel ends it at once (the sleep is cancellable). */
export async function runDelay(
  session: RunSession,
  step: DelayStep,
  markStep: (status: StepStatus) => Promise<unknown>,
): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope(step));
  const ms = s.duration !== undefined ? parseDuration(s.duration) : untilToDelayMs(s.until, Date.now());
  await session.markWaiting(markStep);
  if (ms > 0) await sleep(ms);
  return { result: { delayed_ms: ms } };
}

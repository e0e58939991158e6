import { condition } from '@temporalio/workflow';
import type { WaitForStep } from '../../../shared/step-schema';
import type { RoutedEvent, StepStatus } from '../../../shared/run-types';
import { parseDuration } from '../../../shared/durations';
import { evaluateCondition } from '../../../shared/expressions';
import { bookkeeping } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/**
 * wait-for: registers the wait so the ingest workflow routes the recipient's matching track
 * events here (as signals), then waits for one that satisfies `match`, or the timeout.
 */
export async function runWaitFor(
  session: RunSession,
  step: WaitForStep,
  path: string,
  markStep: (status: StepStatus) => Promise<unknown>,
): Promise<StepOutcome> {
  const scope = session.scope(step);
  const s = session.resolve(step, scope);
  const event = String(s.event);
  const timeoutMs = parseDuration(s.timeout);
  const recipient = session.context.recipient;
  if (!recipient) throw new Error('wait-for needs a recipient to wait on');
  // Only events that arrive from now on count; earlier ones belonged to other steps.
  const from = session.events.length;
  const wait = { workspaceId: session.workspaceId, runId: session.runId, path, workflowId: session.workflowId, recipient, event };
  await bookkeeping.registerWait(wait);
  await session.markWaiting(markStep);
  let matched: RoutedEvent | undefined;
  const found = () => {
    for (let i = from; i < session.events.length && !matched; i++) {
      const candidate = session.events[i];
      if (candidate.event !== event) continue;
      const eventScope = { ...scope, event: candidate.body, properties: candidate.body.properties ?? {} };
      if (step.match === undefined || evaluateCondition(step.match as never, eventScope)) matched = candidate;
    }
    return matched !== undefined;
  };
  try {
    await condition(found, timeoutMs);
  } finally {
    await bookkeeping.unregisterWait(wait);
  }
  return { result: { matched: matched !== undefined, event: matched?.body ?? null } };
}

import { condition } from '@temporalio/workflow';
import type { AddToBatchStep } from '../../../shared/step-schema';
import type { StepStatus } from '../../../shared/run-types';
import { parseDuration } from '../../../shared/durations';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/**
 * add-to-batch: hands this run to the batch collector workflow for its key and waits for the
 * decision. The first run collected continues with `data.batch = { count, items }`; the others end.
 */
export async function runAddToBatch(
  session: RunSession,
  step: AddToBatchStep,
  path: string,
  markStep: (status: StepStatus) => Promise<unknown>,
): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope(step));
  const automation = session.input.templateId ?? session.input.sequence ?? `adhoc:${session.input.source}`;
  const key = s.batch_key !== undefined ? `key:${String(s.batch_key)}` : `${automation}:${path}:${session.context.recipient ?? ''}`;
  await effects.joinBatch({
    workspaceId: session.workspaceId,
    key,
    settings: {
      waitMs: parseDuration(s.wait_period),
      maxWaitMs: parseDuration(s.max_wait_period),
      maxItems: s.max_items ?? null,
    },
    item: { runId: session.runId, workflowId: session.workflowId, data: session.context.data },
  });
  await session.markWaiting(markStep);
  await condition(() => session.batchDecisions[key] !== undefined);
  const decision = session.batchDecisions[key];
  if (decision.role === 'member') return { result: { role: 'member', leader_run_id: decision.leaderRunId }, flow: 'stop' };
  session.context.data = { ...session.context.data, batch: decision.batch };
  return { result: { role: 'leader', count: decision.batch?.count ?? 0 } };
}

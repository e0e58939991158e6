import { createHash } from 'node:crypto';
import { parseDuration } from '../../../../workflows/shared/durations';
import type { AddToBatchStep } from '../../../../workflows/shared/step-schema';
import type { TemporalClientService } from '../../../temporal/temporal-client.service';
import type { StepHandler } from '../engine.types';

/** How long past its max wait a run waits for its batch's decision before it goes on alone. */
const DECISION_GRACE_MS = 60_000;

/**
 * add-to-batch: hands the run to the batch collector workflow for its key (signal-with-start)
 * and waits for the decision. The first run collected continues with `data.batch = { count,
 * items }`; the others end. A decision that never comes (a lost collector) does not strand the
 * run: past the max wait it goes on as a batch of one.
 */
export function addToBatchStep(temporal: TemporalClientService): StepHandler<AddToBatchStep> {
  return {
    async run({ run, path, resolved: s, context }) {
      const automation = run.template_id ?? run.sequence ?? `adhoc:${run.source}`;
      const key = s.batch_key !== undefined ? `key:${String(s.batch_key)}` : `${automation}:${path}:${context.recipient ?? ''}`;
      const settings = { waitMs: parseDuration(s.wait_period), maxWaitMs: parseDuration(s.max_wait_period), maxItems: s.max_items ?? null };
      const keyHash = createHash('sha256').update(key).digest('hex').slice(0, 32);
      await temporal.withDeadline(() =>
        temporal.client.workflow.signalWithStart('batchCollector', {
          workflowId: `batch:${run.workspace_id}:${keyHash}`,
          taskQueue: temporal.taskQueue,
          args: [{ key, settings }],
          signal: 'addBatchItem',
          signalArgs: [{ runId: run.id, workflowId: run.workflow_id, data: context.data }],
        }),
      );
      return { kind: 'wait', wait: { kind: 'batch', key, timeoutMs: settings.maxWaitMs + DECISION_GRACE_MS }, waiting: { batch_key: key } };
    },
    async resume({ context }, { batch }) {
      if (batch?.role === 'member') return { kind: 'done', result: { role: 'member', leader_run_id: batch.leaderRunId }, flow: 'stop' };
      const decision = batch?.batch ?? { count: 1, items: [context.data] };
      return { kind: 'done', result: { role: 'leader', count: decision.count }, context: { ...context, data: { ...context.data, batch: decision } } };
    },
  };
}

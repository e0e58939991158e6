import { createHash } from 'node:crypto';
import { parseDuration } from '../../../../workflows/shared/durations';
import type { AddToBatchStep } from '../../../../workflows/shared/step-schema';
import type { BatchDecision } from '../../../../workflows/shared/run-types';
import type { BatchesService, BatchPlace } from '../../runs/batches.service';
import type { TemporalClientService } from '../../../temporal/temporal-client.service';
import { StepRetry, type StepCall, type StepHandler, type StepOutcome } from '../engine.types';

/** How long past its max wait a run waits to be woken before it flushes its batch itself. */
const DECISION_GRACE_MS = 10_000;

/**
 * add-to-batch: the run joins its key's open batch in Postgres, and the batch window workflow
 * for the key (signal-with-start) times the flush and wakes the runs. The first run collected
 * continues with `data.batch = { count, items }`; the others end. Nothing depends on a signal
 * arriving: a join retried after the flush finds its place at once, and a run never woken
 * flushes its key itself past the max wait.
 */
export function addToBatchStep(temporal: TemporalClientService, batches: BatchesService): StepHandler<AddToBatchStep> {
  const keyOf = ({ run, path, resolved: s, context }: StepCall<AddToBatchStep>) => {
    const automation = run.template_id ?? run.sequence ?? `adhoc:${run.source}`;
    return s.batch_key !== undefined ? `key:${String(s.batch_key)}` : `${automation}:${path}:${context.recipient ?? ''}`;
  };
  const settingsOf = (s: AddToBatchStep) => ({ waitMs: parseDuration(s.wait_period), maxWaitMs: parseDuration(s.max_wait_period), maxItems: s.max_items ?? null });

  return {
    async run(call) {
      const { run, path, context } = call;
      const key = keyOf(call);
      const settings = settingsOf(call.resolved);
      const place = await batches.join(run.workspace_id, run.id, path, key, context.data);
      if (place) return outcome(call, place);
      const keyHash = createHash('sha256').update(`${run.workspace_id}\n${key}`).digest('hex').slice(0, 32);
      await temporal.withDeadline(() =>
        temporal.client.workflow.signalWithStart('batchWindow', {
          workflowId: `batch:${run.workspace_id}:${keyHash}`,
          taskQueue: temporal.taskQueue,
          args: [{ workspaceId: run.workspace_id, key, settings }],
          signal: 'batchItemJoined',
          signalArgs: [{ runId: run.id }],
        }),
      );
      return { kind: 'wait', wait: { kind: 'batch', key, timeoutMs: settings.maxWaitMs + DECISION_GRACE_MS }, waiting: { batch_key: key } };
    },
    async resume(call, { batch }) {
      const place = await batches.placeOrFlush(call.run.workspace_id, call.run.id, call.path, keyOf(call), settingsOf(call.resolved).maxItems);
      if (place === 'busy') throw new StepRetry('its batch is being flushed by another process');
      if (place) return outcome(call, place);
      return legacyOutcome(call, batch);
    },
  };
}

function outcome({ context }: StepCall<AddToBatchStep>, place: BatchPlace): StepOutcome {
  if (place.role === 'member') return { kind: 'done', result: { role: 'member', leader_run_id: place.leaderRunId }, flow: 'stop' };
  const batch = { count: place.count, items: place.items };
  return { kind: 'done', result: { role: 'leader', count: place.count }, context: { ...context, data: { ...context.data, batch } } };
}

/** Runs that joined a collector before batches were kept in Postgres: the decision came in the signal. */
function legacyOutcome({ context }: StepCall<AddToBatchStep>, batch: BatchDecision | undefined): StepOutcome {
  if (batch?.role === 'member') return { kind: 'done', result: { role: 'member', leader_run_id: batch.leaderRunId }, flow: 'stop' };
  const decision = batch?.batch ?? { count: 1, items: [context.data] };
  return { kind: 'done', result: { role: 'leader', count: decision.count }, context: { ...context, data: { ...context.data, batch: decision } } };
}

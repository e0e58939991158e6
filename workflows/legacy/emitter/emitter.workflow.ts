import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { OutboundActivities } from '../../../activities/legacy/outbound.activities';
import type { OutboundEvent } from '../../../src/outbox/outbound-event';

const outboundEventsSignal = defineSignal<[OutboundEvent[]]>('outboundEvents');
/** Sent when the integration is saved again: retry now instead of waiting out the backoff. */
const integrationChangedSignal = defineSignal('integrationChanged');
const emitterStateQuery = defineQuery<EmitterState>('emitterState');

export interface LegacyEmitterInput {
  workspaceId: string;
  batchSize: number;
  flushMs: number;
  /** History length after which the workflow continues as new. */
  maxHistory: number;
  /** Events received but not yet persisted, carried over a continue-as-new. */
  buffer?: OutboundEvent[];
  sent?: number;
  generation?: number;
}

interface EmitterState {
  buffered: number;
  sent: number;
  generation: number;
  lastOutcome: string | null;
  failures: number;
}

const { persistOutbound, flushOutbound } = proxyActivities<OutboundActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const MAX_BACKOFF_MS = 60_000;
const REJECTED_RECHECK_MS = 10 * 60_000;

/**
 * One per workspace (`emitter:<workspace>`), fed by signal-with-start: status changes arrive as
 * signals, are appended to the ordered outbox (Postgres), and are flushed in batches. While the
 * data plane is down the batch is retried with backoff — nothing is dropped and order holds; a
 * rejected write key waits for the integration to be fixed. Continues as new before its history
 * grows long, carrying only what it has not persisted yet.
 */
export async function legacyEmitterWorkflow(input: LegacyEmitterInput): Promise<void> {
  const buffer: OutboundEvent[] = [...(input.buffer ?? [])];
  const state: EmitterState = { buffered: 0, sent: input.sent ?? 0, generation: input.generation ?? 0, lastOutcome: null, failures: 0 };
  let wake = false;
  setHandler(outboundEventsSignal, (events) => {
    buffer.push(...events);
  });
  setHandler(integrationChangedSignal, () => {
    wake = true;
  });
  setHandler(emitterStateQuery, () => ({ ...state, buffered: buffer.length }));

  const persist = async () => {
    if (!buffer.length) return;
    const events = buffer.splice(0, buffer.length);
    await persistOutbound({ workspaceId: input.workspaceId, events });
  };

  let backlog = true; // after a (re)start the outbox may hold events from before
  for (;;) {
    if (workflowInfo().historyLength > input.maxHistory || workflowInfo().continueAsNewSuggested) {
      await persist();
      await continueAsNew<typeof legacyEmitterWorkflow>({ ...input, buffer: buffer.splice(0), sent: state.sent, generation: state.generation + 1 });
    }
    if (!backlog) await condition(() => buffer.length > 0);
    // Gather a batch for a moment, so that a burst goes out as one request.
    if (buffer.length < input.batchSize) await condition(() => buffer.length >= input.batchSize, input.flushMs);
    await persist();

    const result = await flushOutbound({ workspaceId: input.workspaceId, max: input.batchSize });
    state.lastOutcome = result.outcome;
    if (result.outcome === 'ok') {
      state.sent += result.sent;
      state.failures = 0;
      backlog = result.more;
      continue;
    }
    if (result.outcome === 'empty' || result.outcome === 'dropped') {
      backlog = false;
      continue;
    }
    // Data plane down (retry) or the write key refused (rejected): keep everything, wait, try again.
    state.failures++;
    backlog = true;
    wake = false;
    const wait = result.outcome === 'retry' ? Math.min(1000 * 2 ** Math.min(state.failures - 1, 10), MAX_BACKOFF_MS) : REJECTED_RECHECK_MS;
    await condition(() => wake, wait);
  }
}

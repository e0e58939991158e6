import { condition, continueAsNew, defineQuery, defineSignal, patched, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { EmitterActivities } from '../../activities/emitter.activities';
import { legacyEmitterWorkflow, type LegacyEmitterInput } from '../legacy/emitter/emitter.workflow';

/** Wakes the emitter: the outbox has new rows (coalesced by the sender; carries nothing). */
export const outboxWakeSignal = defineSignal('outboxWake');
/** Sent when the integration is saved again: retry now instead of waiting out the backoff. */
export const integrationChangedSignal = defineSignal('integrationChanged');
export const emitterStateQuery = defineQuery<EmitterState>('emitterState');

export interface EmitterInput {
  workspaceId: string;
  batchSize: number;
  /** How long the emitter lets a burst gather before a flush. */
  flushMs: number;
  /** History length after which the workflow continues as new. */
  maxHistory: number;
  sent?: number;
  generation?: number;
}

export interface EmitterState {
  sent: number;
  generation: number;
  lastOutcome: string | null;
  failures: number;
}

const { flushOutbox } = proxyLocalActivities<EmitterActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const MAX_BACKOFF_MS = 60_000;
const REJECTED_RECHECK_MS = 10 * 60_000;
const IDLE_MS = 60_000;

/**
 * One per workspace (`emitter:<workspace>`): drains the ordered outbox (written in the same
 * transaction as each status change) to the RudderStack data plane in batches. Woken by a
 * coalesced signal; nothing travels through Temporal but the wake. While the data plane is down
 * the batch is retried with durable backoff, so nothing is dropped and order per user holds.
 */
export async function emitterWorkflow(input: EmitterInput | LegacyEmitterInput): Promise<void> {
  if (!patched('outbox-emitter-v1')) return legacyEmitterWorkflow(input as LegacyEmitterInput);
  const state: EmitterState = { sent: input.sent ?? 0, generation: input.generation ?? 0, lastOutcome: null, failures: 0 };
  let woken = true;
  setHandler(outboxWakeSignal, () => {
    woken = true;
  });
  setHandler(integrationChangedSignal, () => {
    woken = true;
  });
  setHandler(emitterStateQuery, () => ({ ...state }));

  for (;;) {
    const info = workflowInfo();
    if (info.historyLength > input.maxHistory || info.continueAsNewSuggested) {
      await continueAsNew<typeof emitterWorkflow>({ ...input, sent: state.sent, generation: state.generation + 1 });
    }
    if (!woken && !(await condition(() => woken, IDLE_MS))) return;
    woken = false;
    // A burst arrives as many wakes: a moment's gathering sends it as full batches.
    if (input.flushMs > 0 && state.lastOutcome !== 'ok') await sleep(input.flushMs);
    const result = await flushOutbox({ workspaceId: input.workspaceId, max: input.batchSize });
    state.lastOutcome = result.outcome;
    if (result.outcome === 'ok') {
      state.sent += result.sent;
      state.failures = 0;
      if (result.more) woken = true;
      else state.lastOutcome = 'caught-up';
      continue;
    }
    if (result.outcome === 'empty' || result.outcome === 'dropped') continue;
    // Data plane down (retry) or the write key refused (rejected): keep everything, wait, try again.
    state.failures++;
    const wait = result.outcome === 'retry' ? Math.min(1000 * 2 ** Math.min(state.failures - 1, 10), MAX_BACKOFF_MS) : REJECTED_RECHECK_MS;
    woken = false;
    await condition(() => woken, wait);
    woken = true;
  }
}

import { condition, continueAsNew, defineQuery, defineSignal, patched, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
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

const { drainOutbox } = proxyLocalActivities<EmitterActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const MAX_BACKOFF_MS = 60_000;
const REJECTED_RECHECK_MS = 10 * 60_000;
const IDLE_MS = 60_000;

/**
 * One per workspace (`emitter:<workspace>`): drains the ordered outbox (written in the same
 * transaction as each status change) to the RudderStack data plane in batches, in one local
 * activity that lingers polling for a second once caught up. Woken by a coalesced signal only
 * when it is not polling; nothing travels through Temporal but the wake. While the data plane is
 * down the batch is retried with durable backoff (new events do not cut it short; a saved
 * integration does), so nothing is dropped and order per user holds.
 */
export async function emitterWorkflow(input: EmitterInput | LegacyEmitterInput): Promise<void> {
  if (!patched('outbox-emitter-v1')) return legacyEmitterWorkflow(input as LegacyEmitterInput);
  const state: EmitterState = { sent: input.sent ?? 0, generation: input.generation ?? 0, lastOutcome: null, failures: 0 };
  let woken = true;
  let retryNow = false;
  setHandler(outboxWakeSignal, () => {
    woken = true;
  });
  setHandler(integrationChangedSignal, () => {
    woken = true;
    retryNow = true;
  });
  setHandler(emitterStateQuery, () => ({ ...state }));

  for (;;) {
    const info = workflowInfo();
    if (info.historyLength > input.maxHistory || info.continueAsNewSuggested) {
      await continueAsNew<typeof emitterWorkflow>({ ...input, sent: state.sent, generation: state.generation + 1 });
    }
    if (!woken && !(await condition(() => woken, IDLE_MS))) return;
    woken = false;
    const result = await drainOutbox({ workspaceId: input.workspaceId, max: input.batchSize });
    state.sent += result.sent;
    state.lastOutcome = result.outcome;
    if (result.outcome === 'more') woken = true;
    if (result.outcome !== 'retry' && result.outcome !== 'rejected') {
      state.failures = 0;
      continue;
    }
    // Data plane down (retry) or the write key refused (rejected): keep everything, wait, try again.
    state.failures++;
    const wait = result.outcome === 'retry' ? Math.min(1000 * 2 ** Math.min(state.failures - 1, 10), MAX_BACKOFF_MS) : REJECTED_RECHECK_MS;
    retryNow = false;
    await condition(() => retryNow, wait);
    woken = true;
  }
}

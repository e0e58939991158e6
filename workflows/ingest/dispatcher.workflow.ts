import { condition, continueAsNew, defineSignal, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DispatchActivities } from '../../activities/dispatch.activities';

/** Wakes a dispatcher: new rows are in its shard of the ledger. Coalesced by the sender; carries nothing. */
export const dispatchWakeSignal = defineSignal('wake');

export interface DispatcherInput {
  workspaceId: string;
  shard: number;
  /** Events processed by earlier runs of this workflow (carried over continue-as-new). */
  processed?: number;
}

/**
 * One call drains the shard (batches, each one transaction plus its run starts) and lingers a
 * moment polling for more; Postgres may be down for a while: retry until it answers.
 */
const { drainShard } = proxyLocalActivities<DispatchActivities>({
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** How long an idle dispatcher waits for a wake before it ends (the next wake starts it again). */
const IDLE_MS = 60_000;
const MAX_HISTORY = 2_000;

/**
 * One per (workspace, shard) (`dispatch:<workspace>:<shard>`), woken by signal-with-start: its
 * local activity claims accepted ledger rows in order and processes them batch by batch
 * (profiles, tenants, waits, run starts, outcomes), then lingers polling for a second; under a
 * steady stream it is never signalled. History holds one marker per drain; it continues as new
 * before it grows, and ends after a minute idle so idle workspaces cost nothing.
 */
export async function dispatcher(input: DispatcherInput): Promise<{ processed: number }> {
  let woken = true; // its own start claims at once: rows may be waiting from before
  let processed = input.processed ?? 0;
  setHandler(dispatchWakeSignal, () => {
    woken = true;
  });
  for (;;) {
    if (!woken && !(await condition(() => woken, IDLE_MS))) return { processed };
    woken = false;
    const batch = await drainShard({ workspaceId: input.workspaceId, shard: input.shard });
    processed += batch.count;
    if (batch.more) woken = true;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY) {
      await continueAsNew<typeof dispatcher>({ workspaceId: input.workspaceId, shard: input.shard, processed });
    }
  }
}

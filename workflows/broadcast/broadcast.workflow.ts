import { condition, continueAsNew, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BroadcastActivities } from '../../activities/broadcast.activities';

export interface BroadcastWorkflowInput {
  workspaceId: string;
  broadcastId: string;
}

/** Start, resume (and cancel) wake the workflow; it reads what to do from Postgres. */
export const broadcastWakeSignal = defineSignal('broadcastWake');

/**
 * A regular activity (not local): a batch delivers for up to 20 s at the broadcast's rate and
 * heartbeats after every chunk, so a dead worker's batch is retried within the heartbeat timeout.
 */
const broadcasts = proxyActivities<BroadcastActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Batches per run before continuing as new (about 600 history events). */
const BATCHES_PER_RUN = 100;

/**
 * One broadcast (`broadcast:<workspace>:<id>`): a loop of batch activities, each delivering up
 * to 1,000 recipients. Between batches it sleeps until the next recipient is due (send_at, a
 * recipient's local time, quiet hours) or, paused, until resumed. The workflow holds no state of
 * its own — the recipients and counters are in Postgres — so continue-as-new passes only ids.
 */
export async function broadcastWorkflow(input: BroadcastWorkflowInput): Promise<{ status: string }> {
  let woken = false;
  setHandler(broadcastWakeSignal, () => {
    woken = true;
  });
  for (let n = 0; ; n++) {
    if (n >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof broadcastWorkflow>(input);
    const outcome = await broadcasts.runBroadcastBatch(input);
    if (outcome.next === 'done') return { status: outcome.status };
    if (outcome.next === 'more') continue;
    woken = false;
    if (outcome.next === 'sleep') await condition(() => woken, outcome.ms);
    else await condition(() => woken);
  }
}

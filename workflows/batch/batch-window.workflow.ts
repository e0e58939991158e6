import { condition, continueAsNew, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { EngineActivities } from '../../activities/engine.activities';
import type { BatchSettings } from './batch-collector.workflow';

/** A run joined the key's open batch (its item is in Postgres already). Carries the run id only. */
export const batchItemJoinedSignal = defineSignal<[{ runId: string }]>('batchItemJoined');

export interface BatchWindowInput {
  workspaceId: string;
  key: string;
  settings: BatchSettings;
  /** Items still open when the previous run of this workflow continued as new. */
  open?: number;
}

/** Postgres may be down for a while: retry the flush until it answers (runs flush themselves at their timeout meanwhile). */
const { flushBatch } = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const FLUSHES_BEFORE_CONTINUE = 100;

/**
 * One per open batch key (`batch:<workspace>:<key hash>`, signal-with-start): times the flush
 * (no item for wait_period, the first item waiting max_wait_period, or max_items joined), then
 * one local activity assigns the batch in Postgres and wakes its runs. The decision is not in
 * this history: a lost window or wake delays runs to their timeout, never loses them. Ends
 * when no item is open.
 */
export async function batchWindow(input: BatchWindowInput): Promise<void> {
  const { workspaceId, key, settings } = input;
  let open = input.open ?? 0;
  let lastAt = Date.now();
  let firstAt = open > 0 ? lastAt : 0;
  setHandler(batchItemJoinedSignal, () => {
    open++;
    lastAt = Date.now();
    if (!firstAt) firstAt = lastAt;
  });

  for (let flushes = 0; flushes < FLUSHES_BEFORE_CONTINUE; flushes++) {
    await condition(() => open > 0);
    for (;;) {
      const full = settings.maxItems !== null && open >= settings.maxItems;
      const deadline = Math.min(lastAt + settings.waitMs, firstAt + settings.maxWaitMs);
      if (full || Date.now() >= deadline) break;
      const seen = open;
      await condition(() => open !== seen, deadline - Date.now());
    }
    const { remaining } = await flushBatch({ workspaceId, key, maxItems: settings.maxItems });
    open = remaining;
    firstAt = open > 0 ? Date.now() : 0;
    if (open === 0) return;
  }
  await continueAsNew<typeof batchWindow>({ workspaceId, key, settings, open });
}

import { condition, continueAsNew, defineSignal, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { batchDecisionSignal } from '../automation-run/messages';
import type { JsonObject } from '../shared/json';

export interface BatchItem {
  runId: string;
  workflowId: string;
  data: JsonObject;
}

export interface BatchSettings {
  /** Flush when no new item arrived for this long… */
  waitMs: number;
  /** …or when the first item has waited this long… */
  maxWaitMs: number;
  /** …or when this many items are collected. */
  maxItems: number | null;
}

export const addBatchItemSignal = defineSignal<[BatchItem]>('addBatchItem');

/**
 * No longer started (batch-window.workflow.ts keeps the decision in Postgres instead): kept
 * registered so collectors, and legacy runs, started before it finish.
 *
 * Collects runs for one batch key (`batch:<workspace>:<key>`, started with signal-with-start):
 * the first run collected continues with all items, the others end. Items that arrive while a
 * batch is being handed out start the next batch (continue-as-new), so none is lost.
 */
export async function batchCollector(args: { key: string; settings: BatchSettings; pending?: BatchItem[] }): Promise<void> {
  const { key, settings } = args;
  const items: BatchItem[] = [...(args.pending ?? [])];
  const seen: Record<string, true> = {};
  for (const item of items) seen[item.runId] = true;
  let lastAt = Date.now();
  setHandler(addBatchItemSignal, (item) => {
    if (seen[item.runId]) return;
    seen[item.runId] = true;
    items.push(item);
    lastAt = Date.now();
  });

  await condition(() => items.length > 0);
  const firstAt = Date.now();
  for (;;) {
    const full = settings.maxItems !== null && items.length >= settings.maxItems;
    const deadline = Math.min(lastAt + settings.waitMs, firstAt + settings.maxWaitMs);
    if (full || Date.now() >= deadline) break;
    const count = items.length;
    await condition(() => items.length !== count, deadline - Date.now());
  }

  const batch = settings.maxItems !== null ? items.slice(0, settings.maxItems) : items.slice();
  const leader = batch[0];
  const decision = { count: batch.length, items: batch.map((i) => i.data) };
  for (const item of batch) {
    const role = item.runId === leader.runId ? 'leader' : 'member';
    try {
      await getExternalWorkflowHandle(item.workflowId).signal(batchDecisionSignal, {
        key,
        role,
        leaderRunId: leader.runId,
        batch: role === 'leader' ? decision : undefined,
      });
    } catch {
      // The run is gone (canceled): nothing to tell it.
    }
  }
  const rest = items.slice(batch.length);
  if (rest.length) await continueAsNew<typeof batchCollector>({ key, settings, pending: rest });
}

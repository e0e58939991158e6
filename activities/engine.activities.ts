import type { AdvanceRequest, AdvanceResult } from '../workflows/shared/run-protocol';
import type { RunEngine } from '../src/automations/engine/run-engine.service';
import type { BatchesService } from '../src/automations/runs/batches.service';

/** The run workflows' one activity (a local activity), built from the app's services by the worker. */
export function createEngineActivities({ engine, batches }: { engine: RunEngine; batches: BatchesService }) {
  return {
    /** Idempotent: the run row's cursor says what is done; a retried call resumes there. */
    advanceRun: (request: AdvanceRequest): Promise<AdvanceResult> => engine.advance(request),
    /**
     * The batch window's one activity: assigns the key's open items to a batch and wakes its runs.
     * A retry after the commit finds those items assigned and flushes only what is still open.
     */
    async flushBatch(req: { workspaceId: string; key: string; maxItems: number | null }): Promise<{ remaining: number }> {
      const flushed = await batches.flush(req.workspaceId, req.key, req.maxItems);
      if (!flushed) return { remaining: 0 };
      await batches.wake(req.key, flushed.members);
      return { remaining: flushed.remaining };
    },
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;

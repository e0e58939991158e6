import type { AdvanceRequest, AdvanceResult } from '../workflows/shared/run-protocol';
import type { RunEngine } from '../src/automations/engine/run-engine.service';

/** The run workflows' one activity (a local activity), built from the app's services by the worker. */
export function createEngineActivities({ engine }: { engine: RunEngine }) {
  return {
    /** Idempotent: the run row's cursor says what is done; a retried call resumes there. */
    advanceRun: (request: AdvanceRequest): Promise<AdvanceResult> => engine.advance(request),
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;

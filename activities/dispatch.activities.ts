import type { BatchResult, DispatchService } from '../src/inbound/dispatch/dispatch.service';

/** The dispatcher workflow's activity (a local activity). */
export function createDispatchActivities({ dispatch }: { dispatch: DispatchService }) {
  return {
    /** Idempotent: a batch claims only unprocessed rows, and its runs have deterministic ids. */
    drainShard: (req: { workspaceId: string; shard: number }): Promise<BatchResult> => dispatch.drain(req.workspaceId, req.shard),
  };
}

export type DispatchActivities = ReturnType<typeof createDispatchActivities>;

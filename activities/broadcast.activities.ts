import { heartbeat } from '@temporalio/activity';
import type { BatchOutcome, BroadcastsService } from '../src/broadcasts/broadcasts.service';

export function createBroadcastActivities({ broadcasts }: { broadcasts: BroadcastsService }) {
  return {
    /** One batch of a broadcast; heartbeats after every recorded chunk. */
    runBroadcastBatch(req: { workspaceId: string; broadcastId: string }): Promise<BatchOutcome> {
      return broadcasts.runBatch(req.workspaceId, req.broadcastId, () => heartbeat());
    },
  };
}

export type BroadcastActivities = ReturnType<typeof createBroadcastActivities>;

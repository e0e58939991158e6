import { Context } from '@temporalio/activity';
import type { EventReplaysService, ReplayPageRequest, ReplayPageResult } from '../src/inbound/event-replays.service';

/** The bulk event replay workflow's activity. */
export function createReplayActivities({ replays }: { replays: EventReplaysService }) {
  return {
    replayEventPage: (req: ReplayPageRequest): Promise<ReplayPageResult> => replays.page(req, () => Context.current().heartbeat()),
  };
}

export type ReplayActivities = ReturnType<typeof createReplayActivities>;

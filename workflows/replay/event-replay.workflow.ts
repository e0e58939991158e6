import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { ReplayActivities } from '../../activities/replay.activities';
import type { EventReplayInput } from './event-replay.types';

/** A page is idempotent (its cursor is advanced by compare-and-set), so retrying one after a crash is safe. */
const { replayEventPage } = proxyActivities<ReplayActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * A bulk replay of the event log (`event-replay:<workspace>:<id>`): one activity per page of
 * logged events, its progress in the replay row, continue-as-new every `pagesPerRun` pages.
 * Canceling the replay (its row) ends the workflow at the next page.
 */
export async function eventReplayWorkflow(input: EventReplayInput): Promise<{ status: string; processed: number }> {
  for (let i = 0; i < input.pagesPerRun; i++) {
    const page = await replayEventPage({ workspaceId: input.workspaceId, replayId: input.replayId, pageSize: input.pageSize });
    if (page.status !== 'more') return page;
  }
  return continueAsNew<typeof eventReplayWorkflow>(input);
}

import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { AudienceActivities } from '../../activities/audience.activities';

export interface AudienceRecomputeInput {
  workspaceId: string;
  audienceId: string;
  /** The filter version to compute; a page finding a newer one (or none) ends the workflow. */
  version: number;
  pageSize: number;
  /** Pages per run before continue-as-new (history stays a few hundred events). */
  pagesPerRun: number;
  /** Wait before the first page, so every process's cached audience list has the new filter. */
  settleMs: number;
  /** Carried over continue-as-new: the last user id done, and how many profiles were processed. */
  after?: string | null;
  processed?: number;
}

export interface AudienceRecomputeResult {
  status: 'done' | 'superseded';
  processed: number;
}

/**
 * One page per activity (a transaction; heartbeats while it works); a page is idempotent, so
 * retrying one after a worker crash neither doubles an event nor skips a profile. Postgres may
 * be down for a while: retried until it answers.
 */
const { recomputeAudiencePage } = proxyActivities<AudienceActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Pause when the workspace's ledger backlog is high (counted as a page toward continue-as-new, which bounds history). */
const BUSY_WAIT_MS = 2_000;

/**
 * Recomputes an audience's membership over every profile of its workspace after a filter change
 * (`audience-recompute:<workspace>:<audience>`): keyset pages over profiles.user_id, progress
 * recorded by each page, continue-as-new every `pagesPerRun` pages. A newer filter starts a new
 * run with terminate-existing; a page of an old version that still runs does nothing.
 */
export async function audienceRecomputeWorkflow(input: AudienceRecomputeInput): Promise<AudienceRecomputeResult> {
  const first = input.after === undefined && input.processed === undefined;
  if (first && input.settleMs > 0) await sleep(input.settleMs);
  let after = input.after ?? null;
  let processed = input.processed ?? 0;
  for (let i = 0; i < input.pagesPerRun; i++) {
    const page = await recomputeAudiencePage({
      workspaceId: input.workspaceId,
      audienceId: input.audienceId,
      version: input.version,
      after,
      processed,
      pageSize: input.pageSize,
    });
    if (page.status === 'superseded') return { status: 'superseded', processed };
    // The workspace's ledger is busy (this recompute's own events, or a burst): let the dispatchers catch up.
    if (page.status === 'busy') {
      await sleep(BUSY_WAIT_MS);
      continue;
    }
    processed = page.processed;
    if (page.status === 'done') return { status: 'done', processed };
    after = page.after;
  }
  return continueAsNew<typeof audienceRecomputeWorkflow>({ ...input, after, processed });
}

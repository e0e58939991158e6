import { ApplicationFailure, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../../activities/legacy/ingest.activities';
import type { IngestInput, IngestResult } from '../shared/ingest-types';
import { startChildRun } from './start-child-run';

// Postgres may be down for a while: keep retrying with backoff rather than lose the event.
const RETRY = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
const remote = proxyActivities<IngestActivities>({ startToCloseTimeout: '30 seconds', retry: RETRY });
/**
 * The ingest steps are short database calls: as local activities they cost the Temporal server
 * a marker each instead of a task round trip, which is what limits ingest on one machine.
 */
const local = proxyLocalActivities<IngestActivities>({ startToCloseTimeout: '30 seconds', retry: RETRY });

/**
 * One durable workflow per accepted inbound event (`ingest:<workspace>:<messageId>`), in the
 * order SPEC section 2 gives: apply identify/group to profiles and tenants, route a track event
 * to the recipient's runs waiting for it, start the automations the event triggers (as child
 * runs that outlive this workflow), and record the outcome in the event log.
 */
export async function ingestWorkflow(input: IngestInput): Promise<IngestResult> {
  // Histories recorded before the switch to local activities replay with the remote ones.
  const { applyInboundEvent, routeEventToWaitingRuns, prepareEventRuns, recordIngestOutcome } = patched('ingest-local-activities') ? local : remote;
  let result: IngestResult;
  try {
    if (input.type === 'identify' || input.type === 'group') await applyInboundEvent(input);
    if (input.type === 'track') await routeEventToWaitingRuns(input);
    const plan = input.type === 'alias' ? { prepared: [], problems: [] } : await prepareEventRuns(input);
    const runIds: string[] = [];
    for (const run of plan.prepared) {
      if (run.ignored) continue;
      await startChildRun(run);
      runIds.push(run.runId);
    }
    const applied = input.type === 'identify' || input.type === 'group' || input.type === 'alias';
    const error = plan.problems.length ? plan.problems.join('; ') : undefined;
    result = {
      outcome: plan.prepared.length || applied ? 'processed' : error ? 'failed' : 'unmapped',
      runIds,
      ...(error ? { error } : {}),
    };
  } catch (err) {
    const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    result = { outcome: 'failed', runIds: [], error: message };
  }
  await recordIngestOutcome({ input, ...result });
  if (result.outcome === 'failed') {
    throw ApplicationFailure.nonRetryable(result.error ?? 'ingest failed', 'IngestFailed');
  }
  return result;
}

import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest.activities';
import type { IngestInput, IngestResult } from './shared/ingest-types';

const { applyInboundEvent, recordIngestOutcome } = proxyActivities<IngestActivities>({
  startToCloseTimeout: '30 seconds',
  // Postgres may be down for a while: keep retrying with backoff rather than lose the event.
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One durable workflow per accepted inbound event (`ingest:<workspace>:<messageId>`):
 * apply identify/group effects, then record the outcome in the event log.
 * Automations for track/page/screen (and those mapped to identify/group) come with the
 * automation engine; until then such events are logged as `unmapped`.
 */
export async function ingestWorkflow(input: IngestInput): Promise<IngestResult> {
  let result: IngestResult;
  try {
    if (input.type === 'identify' || input.type === 'group') await applyInboundEvent(input);
    const appliedSomething = input.type === 'identify' || input.type === 'group' || input.type === 'alias';
    result = { outcome: appliedSomething ? 'processed' : 'unmapped', runIds: [] };
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

import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { RunActivities } from '../../../activities/legacy/run.activities';
import type { FetchDataActivities } from '../../../activities/legacy/fetch-data.activities';

/** Bookkeeping writes (progress, waits, tombstones): local activities, cheap and retried until Postgres answers. */
export const bookkeeping = proxyLocalActivities<
  Pick<RunActivities, 'recordProgress' | 'checkCancelTombstone' | 'registerWait' | 'unregisterWait'>
>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Effects of steps. Retried with backoff; errors a retry cannot fix are non-retryable at the source. */
export const effects = proxyActivities<Omit<RunActivities, 'recordProgress' | 'checkCancelTombstone' | 'registerWait' | 'unregisterWait'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** fetch-data: a few attempts on 5xx/timeouts, then the step fails. */
export const http = proxyActivities<FetchDataActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});

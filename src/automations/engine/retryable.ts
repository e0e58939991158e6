import { ServiceUnavailableError } from '../../common/errors/api-error';
import { isDatabaseUnavailable } from '../../common/errors/dependency-errors';
import { RetryDelivery } from '../../messages/delivery.service';
import { StepRetry } from './engine.types';

/** Postgres codes a retry can get past: serialization failure, deadlock, lock not available. */
const TRANSIENT_PG_CODES = new Set(['40001', '40P01', '55P03']);

/**
 * Whether a step's error may pass on another attempt (the activity is retried with backoff):
 * Postgres or Temporal unreachable, a transient lock conflict, a provider or endpoint that asked
 * to retry. Anything else is the automation's (or the data's) fault, and ends the step.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof StepRetry || err instanceof RetryDelivery || err instanceof ServiceUnavailableError) return true;
  if (isDatabaseUnavailable(err)) return true;
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && TRANSIENT_PG_CODES.has(code);
}

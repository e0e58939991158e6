import { HttpStatus } from '@nestjs/common';
import { NamespaceNotFoundError } from '@temporalio/client';
import { ApiError, ServiceUnavailableError } from '../common/errors/api-error';

/** gRPC codes a retry cannot get past: the request itself (or the namespace's setup) is wrong. */
const PERMANENT_CODES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  9: 'FAILED_PRECONDITION',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  16: 'UNAUTHENTICATED',
};

/**
 * Temporal refused a call for good (a missing search attribute, a namespace that does not
 * exist, a payload over the blob limit): not a 503 a client should retry. The API answers 502
 * (413 for a payload too large) naming the cause; the exception filter logs it with the request id.
 */
export class TemporalRejectedError extends ApiError {
  constructor(readonly code: string, readonly detail: string) {
    const tooLarge = /size exceeds|too large|BlobSizeLimit/i.test(detail);
    super(
      tooLarge ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.BAD_GATEWAY,
      tooLarge ? `the request is too large for Temporal: ${detail}` : `Temporal rejected the request (${code}): ${detail}; retrying will not help until the server's setup is fixed`,
      tooLarge ? 'invalid_request_error' : 'api_error',
    );
  }
}

/** What a failed Temporal call means for the API: a permanent rejection, or a dependency to retry (503). */
export function temporalFailure(err: unknown, retryAfterSeconds: number): ApiError {
  if (err instanceof ApiError) return err;
  // The SDK turns this NOT_FOUND into its own error, without the gRPC code.
  if (err instanceof NamespaceNotFoundError) return new TemporalRejectedError('NOT_FOUND', err.message);
  const e = err as { code?: unknown; details?: unknown; message?: string; cause?: { code?: unknown; details?: unknown; message?: string } } | null;
  const code = typeof e?.cause?.code === 'number' ? e.cause.code : typeof e?.code === 'number' ? e.code : undefined;
  if (code !== undefined && PERMANENT_CODES[code]) {
    const detail = String(e?.cause?.details ?? e?.details ?? e?.cause?.message ?? e?.message ?? 'no detail');
    return new TemporalRejectedError(PERMANENT_CODES[code], detail);
  }
  return new ServiceUnavailableError('Temporal', retryAfterSeconds, (err as Error)?.message);
}

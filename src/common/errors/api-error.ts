import { HttpException, HttpStatus } from '@nestjs/common';

/** The `type` field of every error body, as Courier's API names them. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'service_unavailable'
  | 'rate_limit_error'
  | 'api_error';

/** An HTTP error whose body is `{ message, type }`. */
export class ApiError extends HttpException {
  constructor(status: number, message: string, public readonly type: ApiErrorType, public readonly retryAfterSeconds?: number) {
    super({ message, type }, status);
  }
}

export const badRequest = (message: string) => new ApiError(HttpStatus.BAD_REQUEST, message, 'invalid_request_error');
export const notFound = (message: string) => new ApiError(HttpStatus.NOT_FOUND, message, 'not_found_error');
export const conflict = (message: string) => new ApiError(HttpStatus.CONFLICT, message, 'conflict_error');
export const unauthorized = (message: string) => new ApiError(HttpStatus.UNAUTHORIZED, message, 'authentication_error');

/** Backpressure: the client should slow down and retry after the given seconds (RudderStack retries 429). */
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new ApiError(HttpStatus.TOO_MANY_REQUESTS, message, 'rate_limit_error', retryAfterSeconds);

/** A dependency (Temporal or Postgres) cannot take the request now; the client should retry. */
export class ServiceUnavailableError extends ApiError {
  constructor(what: string, retryAfterSeconds = 5, public readonly causeMessage?: string) {
    super(HttpStatus.SERVICE_UNAVAILABLE, `${what} is unavailable; retry later`, 'service_unavailable', retryAfterSeconds);
  }
}

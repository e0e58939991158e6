import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { withoutPathTokens } from '../logging';
import { ApiError } from './api-error';
import { isDatabaseUnavailable, isUnstorableInput } from './dependency-errors';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'authentication_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'service_unavailable',
};

/**
 * The one place where errors become HTTP: `{ message, type }` bodies, 503 with Retry-After
 * when Postgres or Temporal cannot be reached, 500 only for Herald's own bugs.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(private readonly retryAfterSeconds = 5) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const { status, body, retryAfter } = this.toHttp(exception, host.switchToHttp().getRequest<{ originalUrl?: string; url?: string }>());
    // A dependency that refused for good is an operator's problem: its cause goes to the log with the request id.
    if (status >= 500 && status !== HttpStatus.SERVICE_UNAVAILABLE && exception instanceof ApiError) {
      const req = host.switchToHttp().getRequest<{ id?: unknown; method?: string; url?: string }>();
      this.logger.error(`request ${String(req.id ?? '-')} ${req.method ?? ''} ${withoutPathTokens(req.url ?? '')}: ${body.message}`);
    }
    if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
    res.status(status).json(body);
  }

  private toHttp(exception: unknown, req: { originalUrl?: string; url?: string }): { status: number; body: { message: string; type: string }; retryAfter?: number } {
    if (exception instanceof ApiError) {
      const body = exception.getResponse() as { message: string; type: string };
      return { status: exception.getStatus(), body, retryAfter: exception.retryAfterSeconds };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { status, body: { message: httpExceptionMessage(exception), type: TYPE_BY_STATUS[status] ?? 'api_error' } };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { message: 'database is unavailable; retry later', type: 'service_unavailable' },
        retryAfter: this.retryAfterSeconds,
      };
    }
    const unstorable = isUnstorableInput(exception);
    if (unstorable) {
      return { status: HttpStatus.BAD_REQUEST, body: { message: `${unstorablePart(req)} ${unstorable}`, type: 'invalid_request_error' } };
    }
    this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { message: 'internal error', type: 'api_error' } };
  }
}

/** Which part of the request carried what Postgres refused: a NUL (%00) in the URL names the URL. */
function unstorablePart(req: { originalUrl?: string; url?: string }): string {
  return /%00/i.test(req.originalUrl ?? req.url ?? '') ? 'request path or query' : 'request body';
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

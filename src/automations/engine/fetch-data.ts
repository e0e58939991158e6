import {
  DestinationRefusedError,
  HttpRequestError,
  HttpTimeoutError,
  InvalidUrlError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  redact,
  safeFetch,
} from '../../common/net/safe-fetch';

export interface FetchDataRequest {
  url: string;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  /** Appended to the URL's query string. */
  params?: Record<string, string | number | boolean>;
  /** A string is sent as is; anything else as JSON (with Content-Type: application/json unless given). */
  body?: unknown;
}

/** Failure types; `retryable` says whether another attempt may succeed (5xx, 429, 408, timeouts, network). */
export const FetchDataFailureType = {
  InvalidUrl: 'FetchDataInvalidUrl',
  DestinationRefused: 'DestinationRefused',
  HttpError: 'FetchDataHttpError',
  NotJson: 'FetchDataNotJson',
  /** The request itself cannot be sent (e.g. a header value with a line break). */
  InvalidRequest: 'FetchDataInvalidRequest',
  ResponseTooLarge: 'FetchDataResponseTooLarge',
  Retryable: 'FetchDataRetryable',
} as const;

export class FetchDataError extends Error {
  constructor(message: string, readonly type: string, readonly retryable: boolean) {
    super(message);
    this.name = 'FetchDataError';
  }
}

const RETRYABLE_4XX = new Set([408, 429]);

/**
 * The fetch-data step's HTTP call through the SSRF-safe client. Error messages name the host
 * and status, never header values, the path or the query string.
 */
export async function fetchData(request: FetchDataRequest, allowPrivateNetworks: string[]): Promise<{ status: number; body: unknown }> {
  const headerValues = Object.values(request.headers ?? {});
  const url = buildUrl(request);
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  let body: string | undefined;
  if (typeof request.body === 'string') {
    body = request.body;
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }

  let response;
  try {
    response = await safeFetch(url.href, { method: request.method ?? 'GET', headers, body, allowPrivateNetworks });
  } catch (err) {
    throw toFetchDataError(err, url.host, headerValues);
  }

  const host = new URL(response.url).host;
  const status = response.status;
  if (status >= 200 && status < 300) {
    if (response.body.trim() === '') return { status, body: {} };
    try {
      return { status, body: JSON.parse(response.body) as unknown };
    } catch {
      throw new FetchDataError(`fetch-data: response from ${host} is not JSON`, FetchDataFailureType.NotJson, false);
    }
  }
  if (status >= 500 || RETRYABLE_4XX.has(status)) {
    throw new FetchDataError(`fetch-data: ${host} answered HTTP ${status} (retryable)`, FetchDataFailureType.Retryable, true);
  }
  throw new FetchDataError(`fetch-data: ${host} answered HTTP ${status}`, FetchDataFailureType.HttpError, false);
}

function buildUrl(request: FetchDataRequest): URL {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new FetchDataError('fetch-data: invalid URL (expected an absolute http:// or https:// URL)', FetchDataFailureType.InvalidUrl, false);
  }
  for (const [name, value] of Object.entries(request.params ?? {})) url.searchParams.append(name, String(value));
  return url;
}

function toFetchDataError(err: unknown, host: string, headerValues: string[]): FetchDataError {
  const message = redact(err instanceof Error ? err.message : String(err), headerValues);
  const fail = (type: string) => new FetchDataError(`fetch-data: ${message}`, type, false);
  if (err instanceof InvalidUrlError) return fail(FetchDataFailureType.InvalidUrl);
  if (err instanceof DestinationRefusedError) return fail(FetchDataFailureType.DestinationRefused);
  if (err instanceof TooManyRedirectsError) return fail(FetchDataFailureType.HttpError);
  if (err instanceof ResponseTooLargeError) return fail(FetchDataFailureType.ResponseTooLarge);
  if (err instanceof HttpTimeoutError) return new FetchDataError(`fetch-data: ${message} (retryable)`, FetchDataFailureType.Retryable, true);
  // undici refused to send the request as given (e.g. a header value with a line break).
  if (err instanceof HttpRequestError && err.code === 'UND_ERR_INVALID_ARG') return fail(FetchDataFailureType.InvalidRequest);
  // Network errors (refused, reset, DNS; they name the hop's host) and anything unexpected: retryable.
  if (err instanceof HttpRequestError) return new FetchDataError(`fetch-data: ${message}`, FetchDataFailureType.Retryable, true);
  return new FetchDataError(`fetch-data: request to ${host} failed: ${message}`, FetchDataFailureType.Retryable, true);
}

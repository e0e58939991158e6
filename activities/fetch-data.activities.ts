import { ApplicationFailure } from '@temporalio/common';
import type { HeraldConfig } from '../src/config/herald-config';
import {
  DestinationRefusedError,
  HttpRequestError,
  HttpTimeoutError,
  InvalidUrlError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  redact,
  safeFetch,
} from '../src/common/net/safe-fetch';

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

export interface FetchDataActivityDeps {
  config: Pick<HeraldConfig, 'allowPrivateNetworks'>;
}

/**
 * Failure types thrown as non-retryable ApplicationFailures. Everything else the activity
 * throws (5xx, 429, 408, timeouts, network errors) is a plain Error, retried by the
 * workflow's retry policy.
 */
export const FetchDataFailureType = {
  InvalidUrl: 'FetchDataInvalidUrl',
  DestinationRefused: 'DestinationRefused',
  HttpError: 'FetchDataHttpError',
  NotJson: 'FetchDataNotJson',
  /** The request itself cannot be sent (e.g. a header value with a line break). */
  InvalidRequest: 'FetchDataInvalidRequest',
  ResponseTooLarge: 'FetchDataResponseTooLarge',
} as const;

const RETRYABLE_4XX = new Set([408, 429]);

/** Activities of the fetch-data step, built from the app's config by the worker. */
export function createFetchDataActivities({ config }: FetchDataActivityDeps) {
  return {
    /**
     * The fetch-data step's HTTP call. Idempotent in effect only as far as the user's endpoint
     * is (GET by default); retried by the workflow's retry policy. Error messages name the
     * host and status, never header values, the path or the query string.
     */
    async fetchData(request: FetchDataRequest): Promise<{ status: number; body: unknown }> {
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
        response = await safeFetch(url.href, {
          method: request.method ?? 'GET',
          headers,
          body,
          allowPrivateNetworks: config.allowPrivateNetworks,
        });
      } catch (err) {
        throw toActivityError(err, url.host, headerValues);
      }

      const host = new URL(response.url).host;
      const status = response.status;
      if (status >= 200 && status < 300) {
        if (response.body.trim() === '') return { status, body: {} };
        try {
          return { status, body: JSON.parse(response.body) as unknown };
        } catch {
          throw ApplicationFailure.nonRetryable(`fetch-data: response from ${host} is not JSON`, FetchDataFailureType.NotJson);
        }
      }
      if (status >= 500 || RETRYABLE_4XX.has(status)) {
        throw new Error(`fetch-data: ${host} answered HTTP ${status} (retryable)`);
      }
      throw ApplicationFailure.nonRetryable(`fetch-data: ${host} answered HTTP ${status}`, FetchDataFailureType.HttpError);
    },
  };
}

export type FetchDataActivities = ReturnType<typeof createFetchDataActivities>;

function buildUrl(request: FetchDataRequest): URL {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw ApplicationFailure.nonRetryable('fetch-data: invalid URL (expected an absolute http:// or https:// URL)', FetchDataFailureType.InvalidUrl);
  }
  for (const [name, value] of Object.entries(request.params ?? {})) url.searchParams.append(name, String(value));
  return url;
}

function toActivityError(err: unknown, host: string, headerValues: string[]): Error {
  const message = redact(err instanceof Error ? err.message : String(err), headerValues);
  if (err instanceof InvalidUrlError) return ApplicationFailure.nonRetryable(`fetch-data: ${message}`, FetchDataFailureType.InvalidUrl);
  if (err instanceof DestinationRefusedError) return ApplicationFailure.nonRetryable(`fetch-data: ${message}`, FetchDataFailureType.DestinationRefused);
  if (err instanceof TooManyRedirectsError) return ApplicationFailure.nonRetryable(`fetch-data: ${message}`, FetchDataFailureType.HttpError);
  if (err instanceof ResponseTooLargeError) return ApplicationFailure.nonRetryable(`fetch-data: ${message}`, FetchDataFailureType.ResponseTooLarge);
  if (err instanceof HttpTimeoutError) return new Error(`fetch-data: ${message} (retryable)`);
  // undici refused to send the request as given (e.g. a header value with a line break).
  if (err instanceof HttpRequestError && err.code === 'UND_ERR_INVALID_ARG') {
    return ApplicationFailure.nonRetryable(`fetch-data: ${message}`, FetchDataFailureType.InvalidRequest);
  }
  // Network errors (refused, reset, DNS; they name the hop's host) and anything unexpected: retryable.
  if (err instanceof HttpRequestError) return new Error(`fetch-data: ${message}`);
  return new Error(`fetch-data: request to ${host} failed: ${message}`);
}

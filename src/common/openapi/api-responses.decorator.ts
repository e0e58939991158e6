import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { ApiErrorSchema, componentName, responseSchemas } from './schemas';

/**
 * The convention every route follows (the contract tests hold the document to it):
 *
 *   // src/<module>/<module>.responses.ts
 *   export const RunSchema = component('Run', z.object({ id: z.string(), status: z.enum([...]), ... }));
 *   // the controller
 *   @ApiResponses({ 200: RunSchema, errors: [404] })
 *
 * - Success bodies are zod schemas registered with `component()` (a name in components.schemas);
 *   `null` is a response without a body (204); `{ description, schema }` a JSON body with its own
 *   description; `{ description, content }` one that is not JSON (a redirect, a page, a pixel).
 * - `errors` lists what the route itself answers (404 unknown id, 409 conflict, ...) as statuses,
 *   or `{ status: 'why' }` (`true`: the usual description). All errors are the shared `Error` component ({ message, type }).
 * - What every route of a kind can answer is added by buildOpenApiDocument, not here: 401 and
 *   503 on every authenticated route, 400 and 413 on those reading a JSON body, 400 on those
 *   with query or path parameters.
 * - Each response the e2e tests receive is validated against this document (test/support), so a
 *   schema that does not match what the service returns fails the test that made the request.
 */
/** Every Idempotency-Key header Herald reads (`@ApiHeader(IDEMPOTENCY_HEADER)` beside `@Headers('idempotency-key')`). */
export const IDEMPOTENCY_HEADER = { name: 'Idempotency-Key', required: false, description: 'the same key returns the first response and starts nothing new' };

export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 429 | 502 | 503;

export interface NonJsonResponse {
  description: string;
  /** Media type of the body (omit for none, e.g. a redirect). */
  content?: string;
  headers?: Record<string, { description: string }>;
}

/** A JSON body with its own description. */
export interface DescribedResponse {
  description: string;
  schema: z.ZodType;
  headers?: Record<string, { description: string }>;
}

export type ResponseSpec = z.ZodType | null | NonJsonResponse | DescribedResponse;

export type ApiResponsesSpec = { [status: number]: ResponseSpec } & {
  errors?: ErrorStatus[] | Partial<Record<ErrorStatus, string | true>>;
};

export const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Invalid request; the message names the field',
  401: 'Missing, unknown, revoked or expired API key',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Request body over the size limit',
  429: 'Too many requests; retry after Retry-After seconds',
  502: 'Temporal refused the request for good (e.g. a missing namespace or search attribute): retrying will not help until the setup is fixed',
  503: 'Postgres or Temporal is unavailable; retry after Retry-After seconds',
};

const SUCCESS_DESCRIPTIONS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 302: 'Redirect' };

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };

export function ApiResponses(spec: ApiResponsesSpec): MethodDecorator {
  const decorators: MethodDecorator[] = [];
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'errors') continue;
    decorators.push(ApiResponse(successResponse(Number(key), value as ResponseSpec)));
  }
  const errors = Array.isArray(spec.errors) ? Object.fromEntries(spec.errors.map((s) => [s, ERROR_DESCRIPTIONS[s]])) : (spec.errors ?? {});
  for (const [status, why] of Object.entries(errors)) decorators.push(ApiResponse(errorResponse(Number(status) as ErrorStatus, why === true ? undefined : why)));
  return applyDecorators(...decorators);
}

export function errorResponse(status: ErrorStatus, description = ERROR_DESCRIPTIONS[status]) {
  return {
    status,
    description,
    schema: { $ref: `#/components/schemas/${componentName(ApiErrorSchema)}` },
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
  };
}

function successResponse(status: number, value: ResponseSpec) {
  const description = SUCCESS_DESCRIPTIONS[status] ?? 'OK';
  if (value === null) return { status, description };
  if ('_zod' in value) return { status, description: responseSchemas.get(value)?.description ?? description, schema: ref(status, value) };
  const headers = value.headers && Object.fromEntries(Object.entries(value.headers).map(([k, h]) => [k, { description: h.description, schema: { type: 'string' } }]));
  const base = { status, description: value.description, ...(headers ? { headers } : {}) };
  if ('schema' in value) return { ...base, schema: ref(status, value.schema) };
  return { ...base, ...(value.content ? { content: { [value.content]: { schema: { type: 'string' } } } } : {}) };
}

function ref(status: number, schema: z.ZodType) {
  const name = componentName(schema);
  if (!name) throw new Error(`@ApiResponses(${status}): register the schema with component(name, schema) first`);
  return { $ref: `#/components/schemas/${name}` };
}

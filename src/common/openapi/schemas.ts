import { z } from 'zod';

/**
 * The response schemas of the OpenAPI document. Each is a zod schema registered here under a
 * component name (`component('Run', ...)`), written in `<module>.responses.ts` beside the
 * controller that returns it, and becomes `#/components/schemas/<name>` in /docs/openapi.json.
 */
export const responseSchemas = z.registry<{ id: string; description?: string }>();

/** Registers a schema as a named component of the document (names are unique). */
export function component<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  const taken = responseSchemas._idmap.get(id);
  if (taken && taken !== schema) throw new Error(`OpenAPI component ${id} is registered twice`);
  responseSchemas.add(schema, description ? { id, description } : { id });
  return schema;
}

export function componentName(schema: z.ZodType): string | undefined {
  return responseSchemas.get(schema)?.id;
}

/** An ISO 8601 timestamp as `Date.toJSON()` writes it. */
export const dateTime = () => z.string().meta({ format: 'date-time' });
/** Any JSON value (profile data, step results, event payloads). */
export const json = () => z.unknown();
/** A JSON object with any keys. */
export const jsonObject = () => z.record(z.string(), z.unknown());

/** Herald's keyset page: `{ items, has_more, cursor }` (src/common/http/pagination.ts). */
export function page<T extends z.ZodType>(id: string, item: T) {
  return component(id, z.object({ items: z.array(item), has_more: z.boolean(), cursor: z.string().nullable() }));
}

/** Courier's page shape: `{ items, paging: { cursor, more } }`. */
export function courierPage<T extends z.ZodType>(id: string, item: T, itemsKey = 'items') {
  return component(id, z.object({ [itemsKey]: z.array(item), paging: z.object({ cursor: z.string().nullable(), more: z.boolean() }) }));
}

/** Every error body (src/common/errors/api-error.ts). */
export const ApiErrorSchema = component(
  'Error',
  z.object({
    message: z.string(),
    type: z.enum(['invalid_request_error', 'authentication_error', 'not_found_error', 'conflict_error', 'service_unavailable', 'rate_limit_error', 'api_error']),
  }),
  'Every error: a message naming the problem and a Courier-style type',
);

type JsonSchema = Record<string, unknown>;

/** The registered schemas as OpenAPI 3.0 components, referring to each other by `$ref`. */
export function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(responseSchemas, {
    target: 'openapi-3.0',
    // Input view: objects stay open (no additionalProperties: false), so adding a field is not a
    // breaking change for clients; the tests close them to catch undocumented fields.
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, tidy(schema as JsonSchema)]));
}

/** Drops what OpenAPI 3.0 does not know ($id) and zod's safe-integer bounds (noise on every integer). */
function tidy(node: unknown): JsonSchema {
  if (Array.isArray(node)) return node.map(tidy) as unknown as JsonSchema;
  if (!node || typeof node !== 'object') return node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id' || key === '$schema') continue;
    if ((key === 'minimum' && value === Number.MIN_SAFE_INTEGER) || (key === 'maximum' && value === Number.MAX_SAFE_INTEGER)) continue;
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, tidy(v)])) : tidy(value);
  }
  return out;
}

/** Courier's acknowledgement of a write. */
export const SuccessSchema = component('Success', z.object({ status: z.literal('SUCCESS') }));

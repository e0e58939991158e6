// `any` values: TypeORM's partial-entity types reject `unknown` for jsonb columns.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;

/**
 * `__proto__` is the one key whose assignment changes an object's prototype; it is dropped
 * wherever JSON is merged or parsed. `constructor` and `prototype` stay ordinary data: they are
 * only ever written as own properties of fresh plain objects here.
 */
export const PROTO_KEY = '__proto__';

export function isPlainObject(value: unknown): value is JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep merge for profiles and traits: objects merge recursively, arrays and scalars from
 * `patch` replace. Returns a new object; neither input is changed.
 */
export function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(base)) {
    if (key !== PROTO_KEY) out[key] = value;
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === PROTO_KEY) continue;
    const existing = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}

/** JSON.parse reviver that drops `__proto__` keys at every depth. */
export function dropProtoKeys(key: string, value: unknown): unknown {
  return key === PROTO_KEY ? undefined : value;
}

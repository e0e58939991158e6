import { deepMerge, isPlainObject, JsonObject, PROTO_KEY } from './json';

export type MergeStrategy = 'replace' | 'overwrite' | 'soft-merge' | 'none';
export const MERGE_STRATEGIES: readonly MergeStrategy[] = Object.freeze(['replace', 'overwrite', 'soft-merge', 'none'] as const);

/**
 * A fresh copy with `__proto__` keys dropped at every depth: JSON.parse makes them own keys,
 * and a nested one copied by reference would survive a later spread or assignment.
 */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) if (key !== PROTO_KEY) out[key] = clean(v);
  return out;
}

const cleanObject = (value: JsonObject | undefined | null): JsonObject => (isPlainObject(value) ? (clean(value) as JsonObject) : {});
const isEmpty = (value: JsonObject | undefined | null) =>
  value === undefined || value === null || Object.keys(value).every((k) => k === PROTO_KEY);

/**
 * How a step writes `incoming` over `existing` (run data, a profile):
 * replace — incoming wins entirely; overwrite — deep merge, incoming wins;
 * soft-merge — shallow, existing top-level keys win; none — write only if nothing exists.
 * Returns a new object; never mutates either input.
 */
export function mergeWithStrategy(strategy: MergeStrategy, existing: JsonObject | undefined | null, incoming: JsonObject): JsonObject {
  const next = cleanObject(incoming);
  switch (strategy) {
    case 'replace':
      return next;
    case 'overwrite':
      return deepMerge(cleanObject(existing), next);
    case 'soft-merge': {
      const out = cleanObject(existing);
      for (const [key, value] of Object.entries(next)) {
        if (!Object.prototype.hasOwnProperty.call(out, key) || out[key] === undefined) out[key] = value;
      }
      return out;
    }
    case 'none':
      return isEmpty(existing) ? next : cleanObject(existing);
    default:
      throw new Error(`unknown merge strategy ${JSON.stringify(strategy)}: expected one of ${MERGE_STRATEGIES.join(', ')}`);
  }
}

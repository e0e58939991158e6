import { Condition, evaluateCondition, validateCondition } from '../../workflows/shared/expressions';
import { isPlainObject } from '../../workflows/shared/json';
import type { JsonObject } from '../common/json/json-merge';

/** What a filter reads: the stored profile and the ids of the user's tenants. */
export interface AudienceScope {
  profile: JsonObject;
  tenants: string[];
}

const MAX_FILTER_BYTES = 16 * 1024;
const MAX_DEPTH = 16;
const ROOTS = new Set(['profile', 'tenants']);

/**
 * Why a filter cannot be saved, naming where (`filter.AND[1]: ...`), or undefined. A filter is
 * the structured condition language of automations (`[path, operator, value]`, `{ AND | OR: [...] }`,
 * an expression string or a boolean) over `{ profile, tenants }`; a `[path, ...]` condition must
 * read `profile...` or `tenants`, since nothing else is in scope and a typo would silently match
 * nobody.
 */
export function filterProblem(filter: unknown): string | undefined {
  if (filter === undefined || filter === null) return 'filter is required';
  const size = Buffer.byteLength(JSON.stringify(filter), 'utf8');
  if (size > MAX_FILTER_BYTES) return `filter is too large (${size} bytes; at most ${MAX_FILTER_BYTES})`;
  return walk(filter, 'filter', 1);
}

function walk(node: unknown, at: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${at}: nested too deeply (at most ${MAX_DEPTH} levels of AND / OR)`;
  if (isPlainObject(node)) {
    const keys = Object.keys(node);
    if (keys.length !== 1 || (keys[0] !== 'AND' && keys[0] !== 'OR')) return `${at}: a condition object must have exactly one key: AND or OR`;
    const list = node[keys[0]];
    if (!Array.isArray(list)) return `${at}.${keys[0]}: must be an array`;
    for (let i = 0; i < list.length; i++) {
      const problem = walk(list[i], `${at}.${keys[0]}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  const problem = validateCondition(node);
  if (problem) return `${at}: ${problem}`;
  if (Array.isArray(node)) {
    const root = String(node[0]).split(/[.[]/, 1)[0];
    if (!ROOTS.has(root)) return `${at}: path ${JSON.stringify(node[0])} must start with "profile." or be "tenants" (a filter reads the profile and the user's tenant ids)`;
  }
  return undefined;
}

/** Whether a user matches; a filter that fails to evaluate (it was validated on save) matches nobody. */
export function matches(filter: Condition, scope: AudienceScope): boolean {
  try {
    return evaluateCondition(filter, scope as unknown as Record<string, unknown>);
  } catch {
    return false;
  }
}

/** Whether a filter reads tenant membership at all (if not, the refresh does not load it). */
export function readsTenants(filter: unknown): boolean {
  return JSON.stringify(filter).includes('tenants');
}

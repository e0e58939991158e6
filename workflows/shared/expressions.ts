import jsep from 'jsep';
import { isPlainObject, PROTO_KEY } from './json';

/** What steps can read: { data, profile, recipient, brand, template, refs } (and for wait-for `match`: also event, properties). */
export type Scope = Record<string, unknown>;

export class ExpressionError extends Error {
  name = 'ExpressionError';
}

const OPERATOR_LIST = [
  'is equal', 'is not equal', 'contains', 'does not contain', 'starts with', 'ends with',
  'greater than', 'greater than or equal', 'less than', 'less than or equal',
] as const;
export type ConditionOperator = (typeof OPERATOR_LIST)[number];
export type StructuredCondition =
  | [string, 'exists']
  | [string, ConditionOperator, unknown]
  | { AND: Condition[] }
  | { OR: Condition[] };
export type Condition = string | boolean | StructuredCondition;

const OPERATORS: ReadonlySet<string> = new Set(OPERATOR_LIST);
/** `refs.<root>` names the run context itself rather than a step result. */
const CONTEXT_ROOTS = ['data', 'profile', 'recipient', 'brand', 'template', 'event', 'properties'];
const UNARY = new Set(['!', '-']);
const BINARY = new Set(['==', '!=', '===', '!==', '<', '<=', '>', '>=', '&&', '||', 'in']);
// jsep reads `new X()`, `typeof x`... as bare identifiers; name the keyword in the error instead.
const KEYWORDS = new Set(['new', 'typeof', 'void', 'delete', 'instanceof', 'function', 'class', 'var', 'let', 'const', 'return', 'await', 'yield', 'import']);

// jsep's operator table is global: configure it once, at module load, with JavaScript's relational precedence.
jsep.addBinaryOp('in', 7);

const hasOwn = (target: object, key: string) => Object.prototype.hasOwnProperty.call(target, key);

/** Own properties only, so `constructor`, `__proto__`, `toString`... read as undefined. */
function readKey(target: unknown, key: unknown): unknown {
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  if (target === null || (typeof target !== 'object' && typeof target !== 'string')) return undefined;
  const k = String(key);
  return k !== PROTO_KEY && hasOwn(Object(target), k) ? (target as Record<string, unknown>)[k] : undefined;
}

const SEGMENT = /[^.[\]]+/y;
const BRACKET = /\[\s*(?:(\d+)|'([^']*)'|"([^"]*)")\s*\]/y;

/** "a.b[0]['c d']" → ["a", "b", "0", "c d"]. A malformed path is an author's mistake, so it throws. */
function parsePath(path: string): string[] {
  const out: string[] = [];
  const fail = (why: string, at: number): never => {
    throw new ExpressionError(`invalid path ${JSON.stringify(path)}: ${why} at character ${at}`);
  };
  let i = 0;
  let expectName = true;
  while (i < path.length) {
    if (path[i] === '[' || expectName) {
      const re = path[i] === '[' ? BRACKET : SEGMENT;
      re.lastIndex = i;
      const m = re.exec(path) ?? fail(re === BRACKET ? 'expected [index] or ["key"]' : 'empty name', i);
      out.push(m[1] ?? m[2] ?? m[3] ?? m[0]);
      i = re.lastIndex;
      expectName = false;
    } else {
      if (path[i] !== '.') fail('expected "." or "["', i);
      if (++i === path.length) fail('path ends with "."', i);
      expectName = true;
    }
  }
  return out;
}

/** Value at "data.user.plan" / "items[0].sku"; undefined when missing. An empty path is the root. */
export function getPath(root: unknown, path: string): unknown {
  return parsePath(path).reduce<unknown>((value, key) => readKey(value, key), root);
}

/** `refs` as expressions and references see it: step results, plus the context roots. */
function refsRoot(scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (isPlainObject(scope.refs)) for (const [k, v] of Object.entries(scope.refs)) if (k !== PROTO_KEY) out[k] = v;
  for (const k of CONTEXT_ROOTS) {
    if (hasOwn(scope, k)) out[k] = scope[k];
    else delete out[k];
  }
  return out;
}

export function resolveReference(ref: string, scope: Scope): unknown {
  if (typeof ref !== 'string') throw new ExpressionError(`a reference must be a string, got ${typeof ref}`);
  return ref.startsWith('refs.') ? getPath(refsRoot(scope), ref.slice(5)) : getPath(scope, ref);
}

// ---- safe expressions ----

type Node = jsep.Expression;

/** jsep's own message for these is only 'Unexpected "="'; say what the author tried. */
function parseHint(src: string): string | undefined {
  const code = src.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, '""');
  if (code.includes('`')) return 'unsupported construct template literal';
  if (code.includes('=>')) return 'unsupported construct arrow function';
  if (/(^|[^=!<>])=(?!=)/.test(code)) return 'unsupported construct assignment';
  return undefined;
}

function unsupported(node: Node): string | undefined {
  const n = node as jsep.CoreExpression;
  switch (n.type) {
    case 'Literal': return n.value instanceof RegExp ? 'unsupported construct RegExp literal' : undefined;
    case 'Identifier': return KEYWORDS.has(n.name) ? `unsupported construct ${n.name}` : undefined;
    case 'ArrayExpression': return n.elements.map((el) => (el === null ? 'empty array element' : unsupported(el))).find(Boolean);
    case 'MemberExpression': return unsupported(n.object) ?? (n.computed ? unsupported(n.property) : undefined);
    case 'UnaryExpression': return UNARY.has(n.operator) ? unsupported(n.argument) : `unsupported operator ${n.operator}`;
    case 'BinaryExpression':
      return BINARY.has(n.operator) ? unsupported(n.left) ?? unsupported(n.right) : `unsupported operator ${n.operator}`;
    case 'Compound':
      if (n.body.length === 0) return 'empty expression';
      return n.body.map(unsupported).find(Boolean) ?? 'unsupported construct Compound (more than one expression)';
    default: return `unsupported construct ${n.type}`;
  }
}

/** Bounds on one expression: what a condition needs is far below them, and the checks and evaluation recurse. */
export const MAX_EXPRESSION_LENGTH = 4_000;
export const MAX_EXPRESSION_DEPTH = 100;

/** The tree's depth, counted without recursion (so a degenerate tree cannot overflow the stack here). */
function depthOf(root: Node): number {
  let max = 0;
  const stack: Array<[Node, number]> = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (max > MAX_EXPRESSION_DEPTH) return max;
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) for (const child of value) if (child && typeof child === 'object' && 'type' in child) stack.push([child as Node, depth + 1]);
      if (value && typeof value === 'object' && !Array.isArray(value) && 'type' in value) stack.push([value as Node, depth + 1]);
    }
  }
  return max;
}

/** Parses and vets the whole tree before anything runs, so a short-circuit cannot hide a call. */
function compile(src: string): { ast: Node; error?: undefined } | { ast?: undefined; error: string } {
  if (src.length > MAX_EXPRESSION_LENGTH) return { error: `expression too long (${src.length} characters; at most ${MAX_EXPRESSION_LENGTH})` };
  let ast: Node | undefined;
  const parseError = problemOf(() => (ast = jsep(src)));
  if (ast === undefined) return { error: parseHint(src) ?? parseError ?? 'unparsable expression' };
  if (depthOf(ast) > MAX_EXPRESSION_DEPTH) return { error: `expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators, brackets or members)` };
  const error = unsupported(ast);
  return error === undefined ? { ast } : { error };
}

const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i;
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  return typeof v === 'string' && NUMERIC.test(v) ? Number(v) : undefined;
}

/**
 * `==`/`!=` (and 'is equal'): strict, except a number against a numeric string compares as numbers
 * ("3" == 3), since event properties and webhook data often carry numbers as strings. No other JS
 * coercion (null == undefined, "" == 0, [1] == 1), so conditions stay predictable.
 */
function looseEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string') return toNumber(b) === a;
  if (typeof b === 'number' && typeof a === 'string') return toNumber(a) === b;
  return a === b;
}

/** Numbers (or numeric strings) numerically, other string pairs by code unit; anything else is incomparable. */
function compare(a: unknown, b: unknown): number | undefined {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function inOperator(needle: unknown, hay: unknown): boolean {
  if (Array.isArray(hay)) return hay.includes(needle);
  if (typeof hay === 'string') return typeof needle === 'string' && hay.includes(needle);
  if (hay === null || typeof hay !== 'object' || (typeof needle !== 'string' && typeof needle !== 'number')) return false;
  return String(needle) !== PROTO_KEY && hasOwn(hay, String(needle));
}

function evalNode(node: Node, scope: Scope): unknown {
  const n = node as jsep.CoreExpression;
  switch (n.type) {
    case 'Literal': return n.value;
    case 'Identifier': return n.name === 'refs' ? refsRoot(scope) : readKey(scope, n.name);
    case 'ArrayExpression': return n.elements.map((el) => evalNode(el as Node, scope));
    case 'MemberExpression':
      return readKey(evalNode(n.object, scope), n.computed ? evalNode(n.property, scope) : (n.property as jsep.Identifier).name);
    case 'UnaryExpression': {
      const v = evalNode(n.argument, scope);
      const num = toNumber(v);
      return n.operator === '!' ? !v : num === undefined ? undefined : -num;
    }
    case 'BinaryExpression': {
      const left = evalNode(n.left, scope);
      if (n.operator === '&&') return left ? evalNode(n.right, scope) : left;
      if (n.operator === '||') return left ? left : evalNode(n.right, scope);
      const right = evalNode(n.right, scope);
      if (n.operator === '==' || n.operator === '!=') return looseEquals(left, right) === (n.operator === '==');
      if (n.operator === '===' || n.operator === '!==') return (left === right) === (n.operator === '===');
      if (n.operator === 'in') return inOperator(left, right);
      const c = compare(left, right);
      if (c === undefined) return false;
      return n.operator === '<' ? c < 0 : n.operator === '<=' ? c <= 0 : n.operator === '>' ? c > 0 : c >= 0;
    }
  }
  throw new ExpressionError(`unsupported construct ${n.type}`); // unreachable after compile()
}

export function evaluate(expression: string, scope: Scope): unknown {
  if (typeof expression !== 'string') throw new ExpressionError(`an expression must be a string, got ${typeof expression}`);
  const { ast, error } = compile(expression);
  if (error !== undefined) throw new ExpressionError(`${error} in expression ${JSON.stringify(expression)}`);
  return evalNode(ast, scope);
}

// ---- interpolation and deep resolution ----

interface Placeholder { start: number; end: number; expr: string }

/** Finds each ${...}; a "}" inside a quoted string does not close it. */
function scanTemplate(template: string): Placeholder[] {
  const out: Placeholder[] = [];
  for (let start = template.indexOf('${'); start >= 0; ) {
    let j = start + 2;
    for (let quote = ''; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= template.length) throw new ExpressionError(`unclosed "\${" at character ${start} in ${JSON.stringify(template)}`);
    out.push({ start, end: j + 1, expr: template.slice(start + 2, j) });
    start = template.indexOf('${', j + 1);
  }
  return out;
}

export function interpolate(template: string, scope: Scope): string {
  let out = '';
  let last = 0;
  for (const p of scanTemplate(template)) {
    const v = evaluate(p.expr, scope);
    out += template.slice(last, p.start) + (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    last = p.end;
  }
  return out + template.slice(last);
}

const isRefString = (s: string) => s.startsWith('refs.') && !/\s/.test(s) && !s.includes('${');
const isRefKey = (key: string) => key.endsWith('.$ref');
const isRefObject = (v: Record<string, unknown>) => Object.keys(v).length === 1 && hasOwn(v, '$ref');

function refOf(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new ExpressionError(`"${key}" must be a reference string such as "data.userId"`);
  return value;
}

export function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (isRefString(value)) return resolveReference(value, scope);
    if (!value.includes('${')) return value;
    const parts = scanTemplate(value);
    // A lone ${expr} keeps its type (number, object...) instead of becoming text.
    if (parts.length === 1 && parts[0].start === 0 && parts[0].end === value.length) return evaluate(parts[0].expr, scope);
    return interpolate(value, scope);
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (!isPlainObject(value)) return value;
  if (isRefObject(value)) return resolveReference(refOf(value.$ref, '$ref'), scope);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = isRefKey(key) ? key.slice(0, -'.$ref'.length) : key;
    if (name !== PROTO_KEY) out[name] = isRefKey(key) ? resolveReference(refOf(v, key), scope) : resolveValue(v, scope);
  }
  return out;
}

// ---- conditions ----

function contains(hay: unknown, needle: unknown): boolean {
  if (typeof hay === 'string') return (typeof needle === 'string' || typeof needle === 'number') && hay.includes(String(needle));
  return Array.isArray(hay) && hay.includes(needle);
}

function applyOperator(op: ConditionOperator, left: unknown, right: unknown): boolean {
  const text = typeof right === 'string' || typeof right === 'number' ? String(right) : undefined;
  const x = toNumber(left);
  const y = toNumber(right);
  const numeric = x !== undefined && y !== undefined;
  switch (op) {
    case 'is equal': return looseEquals(left, right);
    case 'is not equal': return !looseEquals(left, right);
    case 'contains': return contains(left, right);
    case 'does not contain': return !contains(left, right);
    case 'starts with': return typeof left === 'string' && text !== undefined && left.startsWith(text);
    case 'ends with': return typeof left === 'string' && text !== undefined && left.endsWith(text);
    case 'greater than': return numeric && x > y;
    case 'greater than or equal': return numeric && x >= y;
    case 'less than': return numeric && x < y;
    case 'less than or equal': return numeric && x <= y;
  }
}

export function evaluateCondition(condition: Condition, scope: Scope): boolean {
  if (typeof condition === 'boolean') return condition;
  if (typeof condition === 'string') return Boolean(evaluate(condition, scope));
  const problem = validateCondition(condition);
  if (problem) throw new ExpressionError(`invalid condition: ${problem}`);
  if (Array.isArray(condition)) {
    const left = resolveReference(condition[0], scope);
    if (condition[1] === 'exists') return left !== undefined && left !== null;
    return applyOperator(condition[1], left, resolveValue(condition[2], scope));
  }
  // validateCondition() guaranteed exactly one of AND / OR, holding an array.
  return 'AND' in condition
    ? condition.AND.every((c) => evaluateCondition(c, scope))
    : condition.OR.some((c) => evaluateCondition(c, scope));
}

/** The message of what `run` throws, if it throws. */
function problemOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
const pathProblem = (path: string) => problemOf(() => parsePath(path));

export function validateCondition(condition: unknown): string | undefined {
  if (typeof condition === 'boolean') return undefined;
  if (typeof condition === 'string') {
    const { error } = compile(condition);
    return error === undefined ? undefined : `expression: ${error}`;
  }
  if (Array.isArray(condition)) {
    const [path, op] = condition;
    if (typeof path !== 'string' || path === '') return 'the path of [path, operator, value] must be a non-empty string';
    const bad = pathProblem(path);
    if (bad) return bad;
    if (op === 'exists') return condition.length === 2 ? undefined : '[path, "exists"] takes no value';
    if (typeof op !== 'string' || !OPERATORS.has(op)) return `unknown operator ${JSON.stringify(op)}`;
    if (condition.length !== 3) return `[path, "${op}", value] needs exactly one value`;
    const valueProblem = validateInterpolations(condition[2]);
    return valueProblem && `value: ${valueProblem}`;
  }
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    if (keys.length !== 1 || (keys[0] !== 'AND' && keys[0] !== 'OR')) return 'a condition object must have exactly one key: AND or OR';
    const list: unknown = condition[keys[0]];
    if (!Array.isArray(list)) return `${keys[0]} must be an array`;
    const prefixed = (problem: string | undefined, i: number) => problem && `${keys[0]}[${i}]: ${problem}`;
    return list.map((c, i) => prefixed(validateCondition(c), i)).find(Boolean);
  }
  return 'a condition must be an expression string, a boolean, [path, operator, value] or { "AND" | "OR": [...] }';
}

function stringProblem(value: string): string | undefined {
  if (isRefString(value)) return pathProblem(value);
  let parts: Placeholder[] = [];
  const unclosed = problemOf(() => (parts = scanTemplate(value)));
  if (unclosed) return unclosed;
  const bad = parts.map((p) => ({ p, error: compile(p.expr).error })).find((x) => x.error !== undefined);
  return bad && `\${${bad.p.expr}}: ${bad.error}`;
}

const refProblem = (v: unknown) => (typeof v === 'string' ? pathProblem(v) : 'must be a reference string such as "data.userId"');

function walk(value: unknown, at: string): string | undefined {
  const where = (problem: string | undefined) => problem && (at ? `${at}: ${problem}` : problem);
  if (typeof value === 'string') return where(stringProblem(value));
  if (Array.isArray(value)) return value.map((v, i) => walk(v, `${at}[${i}]`)).find(Boolean);
  if (!isPlainObject(value)) return undefined;
  if (isRefObject(value)) return where(refProblem(value.$ref));
  return Object.entries(value)
    .map(([key, v]) => {
      const child = at ? `${at}.${key}` : key;
      const problem = isRefKey(key) ? refProblem(v) : undefined;
      return problem ? `${child}: ${problem}` : isRefKey(key) ? undefined : walk(v, child);
    })
    .find(Boolean);
}

/** First unparsable or unsafe ${...} (or malformed reference) in a value, prefixed with its JSON path. */
export function validateInterpolations(value: unknown): string | undefined {
  return walk(value, '');
}

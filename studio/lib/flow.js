// The step tree as the designer sees it: pure functions, no DOM. Paths are the run engine's
// (src/automations/engine/step-tree.ts): "2" top level, "3.paths[0].1" inside a branch path,
// "3.default.0" inside its default. A list is named by its container: "" (top), "3.paths[0]",
// "3.default".

const CONTAINER = /^(.*?)(?:\.(paths\[(\d+)\]|default))?$/;

/** "3.paths[0].1" → { list: "3.paths[0]", index: 1 }. */
export function splitPath(path) {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? { list: '', index: Number(path) } : { list: path.slice(0, dot), index: Number(path.slice(dot + 1)) };
}

export const joinPath = (list, index) => (list ? `${list}.${index}` : String(index));

/** The array a list path names (inside `steps`), or undefined. */
export function listAt(steps, list) {
  if (!list) return steps;
  const m = CONTAINER.exec(list);
  const owner = stepAt(steps, m[1]);
  if (!owner || owner.action !== 'branch') return undefined;
  if (m[2] === 'default') return owner.default?.steps;
  return owner.paths?.[Number(m[3])]?.steps;
}

export function stepAt(steps, path) {
  if (path === '' || path === undefined || path === null) return undefined;
  const { list, index } = splitPath(path);
  return listAt(steps, list)?.[index];
}

/** Applies `change(list)` to a copy of the tree; returns the copy. */
function editList(steps, list, change) {
  const copy = structuredClone(steps);
  const target = listAt(copy, list);
  if (!target) throw new Error(`no step list at ${JSON.stringify(list)}`);
  change(target);
  return copy;
}

export const insertAt = (steps, list, index, step) => editList(steps, list, (l) => l.splice(index, 0, structuredClone(step)));
export const removeAt = (steps, path) => {
  const { list, index } = splitPath(path);
  return editList(steps, list, (l) => l.splice(index, 1));
};
export const replaceAt = (steps, path, step) => {
  const { list, index } = splitPath(path);
  return editList(steps, list, (l) => l.splice(index, 1, step));
};

/** Moves a step up (-1) or down (+1) in its list; returns { steps, path } or null at an end. */
export function moveWithin(steps, path, delta) {
  const { list, index } = splitPath(path);
  const target = listAt(steps, list);
  const to = index + delta;
  if (!target || to < 0 || to >= target.length) return null;
  const next = editList(steps, list, (l) => l.splice(to, 0, ...l.splice(index, 1)));
  return { steps: next, path: joinPath(list, to) };
}

/** Every node in drawing order (depth first), for keyboard moves: [{ path, list, column }]. */
export function drawingOrder(steps, list = '', out = []) {
  (listAt(steps, list) ?? []).forEach((step, i) => {
    const path = joinPath(list, i);
    out.push({ path, list });
    if (step?.action === 'branch') {
      (step.paths ?? []).forEach((_, k) => drawingOrder(steps, `${path}.paths[${k}]`, out));
      if (step.default) drawingOrder(steps, `${path}.default`, out);
    }
  });
  return out;
}

/** The lists of a branch, side by side: its paths, then its default. */
export function branchColumns(step, path) {
  const columns = (step.paths ?? []).map((p, k) => ({ list: `${path}.paths[${k}]`, label: `if ${conditionText(p.if)}`, key: k, condition: p.if }));
  if (step.default) columns.push({ list: `${path}.default`, label: 'otherwise', key: 'default' });
  return columns;
}

/** Left/right from a node inside a branch column: the first node of the neighbouring column. */
export function sideways(steps, path, delta) {
  let { list } = splitPath(path);
  while (list) {
    const m = CONTAINER.exec(list);
    const owner = stepAt(steps, m[1]);
    const columns = branchColumns(owner, m[1]);
    const at = columns.findIndex((c) => c.list === list);
    const next = columns[at + delta];
    if (next) return (listAt(steps, next.list) ?? []).length ? joinPath(next.list, 0) : m[1];
    list = splitPath(m[1]).list;
  }
  return null;
}

// --- What a step says, in a line -----------------------------------------------------------

export function valueText(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof v.$ref === 'string') return `$ref ${v.$ref}`;
  return JSON.stringify(v);
}

export const conditionText = (c) => (c === undefined ? '' : typeof c === 'string' ? c : JSON.stringify(c));

export function summarize(step) {
  if (!step || typeof step !== 'object') return '';
  const s = step;
  switch (s.action) {
    case 'send':
      return [s.template ? `template ${valueText(s.template)}` : s.message ? 'a message' : 'no template', s.recipient && `to ${valueText(s.recipient)}`, s.channels?.length && `via ${s.channels.join(', ')}`].filter(Boolean).join(' ');
    case 'delay':
      return s.until !== undefined ? `until ${valueText(s.until)}` : `for ${valueText(s.duration)}`;
    case 'wait-for':
      return `for "${valueText(s.event)}" up to ${valueText(s.timeout)}${s.match !== undefined ? ` where ${conditionText(s.match)}` : ''}`;
    case 'cancel':
      return `runs with token ${valueText(s.cancelation_token)}`;
    case 'fetch-data':
      return `${String(s.webhook?.method ?? 'GET').toUpperCase()} ${s.webhook?.url ?? ''}`;
    case 'update-profile':
      return `${valueText(s.recipient_id)}: ${Object.keys(s.profile ?? {}).join(', ')}`;
    case 'get-profile':
      return `of ${valueText(s.user_id)}`;
    case 'invoke':
      return `automation ${valueText(s.template)}`;
    case 'branch':
      return `${(s.paths ?? []).length} path${(s.paths ?? []).length === 1 ? '' : 's'}${s.default ? ' and a default' : ''}`;
    case 'throttle':
      return `${s.max_allowed ?? '?'} per ${valueText(s.period)} (${s.scope ?? 'user'})`;
    case 'add-to-batch':
      return `after ${valueText(s.wait_period)} quiet, at most ${valueText(s.max_wait_period)}`;
    case 'exit':
      return 'end the run';
    case 'subscribe':
      return `to ${valueText(s.list_id)}`;
    case 'send-list':
      return `${valueText(s.template)} to ${s.list !== undefined ? valueText(s.list) : `lists ${valueText(s.list_pattern)}`}`;
    default:
      return '';
  }
}

/** A new step from the palette: its required fields filled with something to edit. */
export function newStep(action) {
  switch (action) {
    case 'send': return { action, template: '' };
    case 'delay': return { action, duration: '1 hour' };
    case 'wait-for': return { action, event: '', timeout: '1 day' };
    case 'cancel': return { action, cancelation_token: '' };
    case 'fetch-data': return { action, webhook: { url: '', method: 'GET' } };
    case 'update-profile': return { action, recipient_id: 'refs.recipient', profile: {} };
    case 'get-profile': return { action, user_id: 'refs.recipient' };
    case 'invoke': return { action, template: '' };
    case 'branch': return { action, paths: [{ if: 'data.plan == "pro"', steps: [] }], default: { steps: [] } };
    case 'throttle': return { action, max_allowed: 1, period: '1 day' };
    case 'add-to-batch': return { action, wait_period: '10 minutes', max_wait_period: '1 hour' };
    case 'subscribe': return { action, list_id: '' };
    case 'send-list': return { action, list: '', template: '' };
    default: return { action };
  }
}

// --- Herald's validation errors, at their node and field ------------------------------------

/**
 * The API joins its problems with "; " and names each as `steps[1].paths[0].steps[0].template: …`.
 * Returns { byPath: { "1.paths[0].0": [{ field: "template", message }] }, general: [...] }.
 */
export function locateProblems(message) {
  const byPath = {};
  const general = [];
  for (const raw of String(message ?? '').split(/;\s+(?=steps[[.])/)) {
    const problem = raw.trim();
    if (!problem) continue;
    const at = locateProblem(problem);
    if (at) (byPath[at.path] ??= []).push({ field: at.field, message: at.message });
    else general.push(problem);
  }
  return { byPath, general };
}

export function locateProblem(problem) {
  const m = /^steps((?:\[\d+\]|\.[A-Za-z_$][\w$-]*)+)\s*:\s*([\s\S]*)$/.exec(problem);
  if (!m) return null;
  const tokens = [...m[1].matchAll(/\[(\d+)\]|\.([A-Za-z_$][\w$-]*)/g)].map((t) => (t[1] !== undefined ? Number(t[1]) : t[2]));
  if (typeof tokens[0] !== 'number') return null;
  let path = String(tokens[0]);
  let i = 1;
  for (;;) {
    if (tokens[i] === 'paths' && typeof tokens[i + 1] === 'number' && tokens[i + 2] === 'steps' && typeof tokens[i + 3] === 'number') {
      path += `.paths[${tokens[i + 1]}].${tokens[i + 3]}`;
      i += 4;
    } else if (tokens[i] === 'default' && tokens[i + 1] === 'steps' && typeof tokens[i + 2] === 'number') {
      path += `.default.${tokens[i + 2]}`;
      i += 3;
    } else break;
  }
  const rest = tokens.slice(i);
  const field = rest.length ? rest.map((t, k) => (typeof t === 'number' ? `[${t}]` : k ? `.${t}` : t)).join('') : null;
  return { path, field, message: m[2] };
}

// --- What changed against the published version ---------------------------------------------

const sortKeys = (v) => (Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v);
/** A step without its children: what "the same step" means when lists are lined up. */
function own(step) {
  if (step?.action !== 'branch') return step;
  const { paths, default: otherwise, ...rest } = step;
  return { ...rest, paths: (paths ?? []).map((p) => p.if), default: Boolean(otherwise) };
}
const identity = (step) => JSON.stringify(sortKeys(own(step)));

function changedFields(a, b) {
  const x = own(a) ?? {};
  const y = own(b) ?? {};
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(sortKeys(x[k])) !== JSON.stringify(sortKeys(y[k])));
}

/**
 * The steps added, removed and changed from `before` (published) to `after` (the draft), each
 * list lined up by longest common subsequence, branches compared path by path.
 * Returns [{ kind, path (in after; in before for removed), action, summary, fields? }].
 */
export function diffSteps(before, after) {
  const out = [];
  diffLists(before ?? [], after ?? [], '', '', out);
  return out;
}

function diffLists(a, b, listA, listB, out) {
  const ka = a.map(identity);
  const kb = b.map(identity);
  const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = ka[i] === kb[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  let i = 0;
  let j = 0;
  const removed = [];
  const added = [];
  const flush = () => {
    // A removal and an addition of the same action at the same place read as one change.
    while (removed.length && added.length && a[removed[0]]?.action === b[added[0]]?.action) pair(removed.shift(), added.shift(), true);
    for (const r of removed.splice(0)) out.push({ kind: 'removed', path: joinPath(listA, r), action: a[r]?.action, summary: summarize(a[r]) });
    for (const s of added.splice(0)) out.push({ kind: 'added', path: joinPath(listB, s), action: b[s]?.action, summary: summarize(b[s]) });
  };
  const pair = (x, y, changed) => {
    const pathA = joinPath(listA, x);
    const pathB = joinPath(listB, y);
    if (changed) out.push({ kind: 'changed', path: pathB, action: b[y]?.action, summary: summarize(b[y]), before: summarize(a[x]), fields: changedFields(a[x], b[y]) });
    if (a[x]?.action === 'branch' && b[y]?.action === 'branch') {
      const n = Math.max(a[x].paths?.length ?? 0, b[y].paths?.length ?? 0);
      for (let k = 0; k < n; k++) diffLists(a[x].paths?.[k]?.steps ?? [], b[y].paths?.[k]?.steps ?? [], `${pathA}.paths[${k}]`, `${pathB}.paths[${k}]`, out);
      diffLists(a[x].default?.steps ?? [], b[y].default?.steps ?? [], `${pathA}.default`, `${pathB}.default`, out);
    }
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && ka[i] === kb[j]) {
      flush();
      pair(i++, j++, false);
    } else if (j < b.length && (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j])) added.push(j++);
    else removed.push(i++);
  }
  flush();
}

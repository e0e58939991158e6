import fc from 'fast-check';

/**
 * Generators for the bad-input property tests. JSON is generated as a tree and serialised by
 * hand, so that a body can carry what `JSON.stringify` would never write: duplicate keys,
 * `__proto__` as a real key, lone surrogates and `\u0000` escapes, `1e999`, `-0`.
 */

export type Tree = null | boolean | number | string | { raw: string } | { arr: Tree[] } | { obj: Array<[string, Tree]> };

export function toJson(tree: Tree): string {
  if (tree === null || typeof tree !== 'object') return JSON.stringify(tree) ?? 'null';
  if ('raw' in tree) return tree.raw;
  if ('arr' in tree) return `[${tree.arr.map(toJson).join(',')}]`;
  return `{${tree.obj.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
}

export const obj = (entries: Record<string, Tree | undefined>): Tree => ({
  obj: Object.entries(entries).filter((e): e is [string, Tree] => e[1] !== undefined),
});

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Strings that have broken things before: NUL, lone surrogates, separators, template syntax. */
const nastyString = fc.constantFrom(
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00y',
  '\ud83d',
  '\ud83d\ude00',
  '\u2028\u2029',
  '\uffff\ufffe',
  '\u202e',
  '${data.userId}',
  '${',
  '${}',
  '${constructor.constructor("return process")()}',
  '{{ profile.email }}',
  '{% raw %}',
  'refs.data.userId',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '../../etc/passwd',
  '%00',
  '%ED%A0%80',
  "'; DROP TABLE profiles; --",
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '-0',
  ' ',
  '\t\n\r',
  'null',
  'true',
);

export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 3, arbitrary: nastyString },
);

export const anyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 3, arbitrary: fc.constantFrom(...PROTO_KEYS, 'polluted', 'isAdmin', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', '$ref', 'type', 'userId', 'traits', 'batch') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

const numberRaw = fc.constantFrom('1e999', '-1e999', '-0', '1E+2', '0.0000000000000000000000001', '123456789012345678901234567890', '1.7976931348623157e308', '5e-324');

export const leaf: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 3, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -(2 ** 53), max: 2 ** 53 })) },
  { weight: 1, arbitrary: numberRaw.map((raw) => ({ raw })) },
  { weight: 6, arbitrary: anyString },
);

/** Objects whose keys reach Object.prototype if anything assigns them naively. */
export const pollutionGadget: fc.Arbitrary<Tree> = fc.constantFrom<Tree>(
  { obj: [['__proto__', { obj: [['polluted', 'yes']] }]] },
  { obj: [['constructor', { obj: [['prototype', { obj: [['polluted', 'yes']] }]] }]] },
  { obj: [['__proto__', { obj: [['isAdmin', true], ['polluted', 'yes']] }], ['__proto__', { obj: [['toString', 'x']] }]] },
  { obj: [['prototype', { obj: [['polluted', 'yes']] }]] },
  { obj: [['__proto__', { arr: ['polluted'] }]] },
  { obj: [['__proto__', null]] },
  { obj: [['constructor', { obj: [['name', 'x'], ['prototype', null]] }]] },
  { arr: [{ obj: [['__proto__', { obj: [['polluted', 'yes']] }]] }] },
  { raw: '{"\\u005f_proto__":{"polluted":"yes"}}' },
  { raw: '{"__pro\\u0074o__":{"constructor":{"prototype":{"polluted":"yes"}}}}' },
);

/** Random JSON (as a tree) of bounded size, with pollution gadgets at any depth. */
export const anyTree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: leaf },
    { weight: 2, arbitrary: fc.array(tie('tree'), { maxLength: 4 }).map((arr) => ({ arr })) },
    { weight: 2, arbitrary: fc.array(fc.tuple(anyKey, tie('tree')), { maxLength: 5 }).map((obj) => ({ obj })) },
    { weight: 1, arbitrary: pollutionGadget },
  ),
})).tree;

/** A random JSON object (as a tree). */
export const anyObjectTree: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(anyKey, anyTree), { maxLength: 6 }).map((obj): Tree => ({ obj })) },
  { weight: 1, arbitrary: pollutionGadget.filter((g) => typeof g === 'object' && g !== null && 'obj' in g) },
);

/** `valid` most of the time, anything otherwise (including absent). */
export function mostly<T extends Tree>(valid: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<Tree | undefined> {
  return fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: anyTree }, { weight: 1, arbitrary: fc.constant(undefined) });
}

const idString = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,16}$/) },
  { weight: 1, arbitrary: anyString },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 ** 6 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(513)) },
);

/** A RudderStack event of every type with each field valid most of the time, wrong some of the time. */
export const rudderEvent: fc.Arbitrary<Tree> = fc
  .record(
    {
      type: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom('identify', 'track', 'group', 'page', 'screen', 'alias').chain((t) => fc.mixedCase(fc.constant(t))) },
        { weight: 1, arbitrary: anyTree },
      ),
      userId: mostly(idString),
      anonymousId: mostly(idString, 1),
      messageId: mostly(fc.uuid(), 4),
      event: mostly(anyString.filter((s) => s.length > 0)),
      name: mostly(anyString, 1),
      groupId: mostly(idString),
      traits: mostly(anyObjectTree),
      properties: mostly(anyObjectTree),
      context: mostly(fc.oneof(anyObjectTree, anyObjectTree.map((traits) => obj({ traits, ip: '1.2.3.4' })))),
      timestamp: mostly(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), 1),
      integrations: mostly(anyObjectTree, 1),
      extra: fc.array(fc.tuple(anyKey, anyTree), { maxLength: 3 }),
    },
    { requiredKeys: ['type', 'extra'] },
  )
  .map(({ extra, ...fields }) => ({ obj: [...Object.entries(fields).filter((e): e is [string, Tree] => e[1] !== undefined), ...extra] }));

/** A body that certainly passes validation (used to build batches that are all good). */
export const goodEvent: fc.Arbitrary<Tree> = fc
  .tuple(fc.constantFrom('identify', 'track', 'group', 'page', 'alias'), fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.uuid(), anyObjectTree)
  .map(([type, userId, messageId, payload]) => {
    const clean = stripUnstorable(payload);
    switch (type) {
      case 'identify':
        return obj({ type, userId, messageId, traits: clean });
      case 'track':
        return obj({ type, userId, messageId, event: 'Fuzzed', properties: clean });
      case 'group':
        return obj({ type, userId, messageId, groupId: `g-${userId}`, traits: clean });
      default:
        return obj({ type, userId, messageId, properties: clean });
    }
  });

/** A body that certainly fails validation, for a reason of each kind. (A bad inline automation is a valid event: 202, logged failed.) */
export const badEvent: fc.Arbitrary<Tree> = fc.oneof(
  fc.constant<Tree>(obj({ userId: 'u' })),
  fc.constant<Tree>(obj({ type: 'explode', userId: 'u' })),
  fc.constant<Tree>(obj({ type: 'track', event: 'E' })),
  fc.constant<Tree>(obj({ type: 'identify', userId: 'u' })),
  fc.constant<Tree>(obj({ type: 'track', userId: 'u' })),
  fc.constant<Tree>(obj({ type: 'group', userId: 'u' })),
  anyTree.filter((t) => t === null || typeof t !== 'object' || 'arr' in t || 'raw' in t).map((t) => t),
  fc.constant<Tree>(obj({ type: 'track', userId: { obj: [['id', 1]] }, event: 'E' })),
  fc.constant<Tree>(obj({ type: 'track', userId: 'u', event: 'E', properties: { arr: [1] } })),
);

/** Drops what Postgres cannot store (NUL, lone surrogates) so a "good" event is good. */
function stripUnstorable(tree: Tree): Tree {
  const clean = (s: string) => s.replace(/\u0000/g, '').replace(/[\ud800-\udfff]/g, (c, i, all) => {
    const code = c.charCodeAt(0);
    const next = all.charCodeAt(i + 1);
    const prev = all.charCodeAt(i - 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return c;
    if (code >= 0xdc00 && prev >= 0xd800 && prev <= 0xdbff) return c;
    return '';
  });
  if (typeof tree === 'string') return clean(tree);
  if (tree === null || typeof tree !== 'object') return tree;
  if ('raw' in tree) return null;
  if ('arr' in tree) return { arr: tree.arr.map(stripUnstorable) };
  return { obj: tree.obj.map(([k, v]) => [clean(k), stripUnstorable(v)] as [string, Tree]) };
}

/** Deeply nested values (kept under ~1 MB): arrays, objects, `__proto__` chains, or both mixed. */
export const deepValue: fc.Arbitrary<{ depth: number; kind: string; json: string }> = fc
  .tuple(fc.constantFrom(100, 1_000, 3_000, 6_000, 10_000, 30_000, 60_000, 120_000), fc.constantFrom('arr', 'obj', 'proto', 'mixed'))
  .map(([depth, kind]) => {
    switch (kind) {
      case 'arr':
        return { depth, kind, json: `${'['.repeat(depth)}1${']'.repeat(depth)}` };
      case 'obj':
        return { depth, kind, json: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` };
      case 'proto':
        return { depth, kind, json: `${'{"__proto__":'.repeat(depth)}{"polluted":1}${'}'.repeat(depth)}` };
      default:
        return { depth, kind, json: `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}` };
    }
  });

/** Malformed JSON: truncated, mutated or plain garbage text. */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.json({ maxDepth: 3 }).chain((json) =>
    fc.oneof(
      fc.nat({ max: Math.max(0, json.length - 1) }).map((n) => json.slice(0, n)),
      fc.tuple(fc.nat({ max: json.length }), fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', "'", '\u0000', 'undefined', 'NaN', '/*', '\ud800')).map(
        ([n, junk]) => json.slice(0, n) + junk + json.slice(n),
      ),
    ),
  ),
  fc.constantFrom('{"type": "track",', '{', '[', '"', '{"a":1}}', "{'type':'track'}", '{"type":"track" "userId":"u"}', '\ufeff{}', '{"a":NaN}', '{"a":undefined}', '{"a":0x10}', '{"a":1,}', '[1,]', '{"a" : "\\x41"}', '{"a":"\\u12"}', '{"a":"\t"}'),
);

export const stepActions = ['send', 'delay', 'wait-for', 'cancel', 'fetch-data', 'update-profile', 'get-profile', 'invoke', 'branch', 'throttle', 'add-to-batch', 'exit'] as const;

const durationValue = fc.oneof(
  fc.constantFrom('5 minutes', '2 days', 'PT5M', 'P1D', '1 hour', '0', '-5 minutes', 'soon', '', '99999999 years', 'PT', 'P1Y2M', '1e3'),
  fc.integer({ min: -10, max: 10 ** 12 }),
  fc.double(),
  anyString,
);
const untilValue = fc.oneof(fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'Invalid' : d.toISOString())), fc.constantFrom('2030-01-01', '2030-01-01T00:00:00', 'not a date', '2030-13-45', ''), anyString);

/** Expression strings: token soup that is sometimes valid, sometimes hostile. */
export const expression: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(
      fc.constantFrom('data', 'profile', 'refs', '.', 'plan', 'x', '==', '!=', '<', '>=', '&&', '||', '!', '(', ')', '[', ']', "'pro'", '"a"', '1', '1.5', 'true', 'null', 'in', ',', 'this', 'new', 'constructor', '__proto__', 'prototype', 'eval', 'Function', 'process', '`', '=', '+', '?', ':', '${', '}', ' ', '=>', 'typeof', 'void', ';'),
      { maxLength: 12 },
    )
    .map((t) => t.join(' ')),
  anyString,
  fc.constantFrom(
    "data.plan == 'pro'",
    "data.plan == 'pro' && !(profile.email in ['x'])",
    'data.constructor.constructor("return process")()',
    'this.constructor',
    'data.__proto__.polluted',
    'new Function("x")',
    '(() => 1)()',
    'data.x = 1',
    'data[0][1][2]',
    '1 + 1',
    "data.a == 'b' ||",
    'a'.repeat(5000),
  ),
);

const structuredCondition: fc.Arbitrary<unknown> = fc.letrec<{ cond: unknown }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(
      fc.oneof(fc.constantFrom('data.plan', 'profile.email', 'refs.a.status', '__proto__.x'), anyString),
      fc.oneof(fc.constantFrom('is equal', 'is not equal', 'contains', 'does not contain', 'starts with', 'ends with', 'greater than', 'less than or equal', 'exists'), anyString),
      fc.oneof(anyString, fc.integer(), fc.constant(null)),
    ),
    fc.tuple(fc.constantFrom('data.x'), fc.constant('exists')),
    fc.record({ AND: fc.array(tie('cond'), { maxLength: 3 }) }),
    fc.record({ OR: fc.array(tie('cond'), { maxLength: 3 }) }),
    fc.array(anyString, { maxLength: 4 }),
  ),
})).cond;

const interpolated = fc.tuple(anyString, fc.oneof(expression, anyString), anyString).map(([a, e, b]) => `${a}\${${e}}${b}`);

/** Plausible values for each step field (plus, by `anyValue`, anything at all). */
const jsonValue = fc.jsonValue({ maxDepth: 2 });
const FIELD_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  template: fc.oneof(fc.constantFrom('note', 'missing-template', 'welcome', 'upgrade-nudge', 'sequence:welcome'), interpolated, anyString),
  recipient: fc.oneof(fc.constantFrom('u1', 'refs.data.userId', '${data.userId}'), interpolated, fc.record({ $ref: anyString })),
  brand: anyString,
  channels: fc.array(fc.oneof(fc.constantFrom('email', 'inbox', 'webhook', 'sms'), anyString), { maxLength: 3 }),
  idempotency_key: anyString,
  message: fc.oneof(fc.record({ to: fc.record({ user_id: anyString }), content: fc.record({ title: anyString, body: anyString }) }), jsonValue),
  duration: durationValue,
  delayFor: durationValue,
  until: untilValue,
  delayUntil: untilValue,
  event: fc.oneof(fc.constantFrom('Upgraded', 'Product Used'), interpolated, anyString),
  timeout: durationValue,
  match: fc.oneof(expression, structuredCondition),
  cancelation_token: fc.oneof(interpolated, anyString),
  cancelationToken: fc.oneof(interpolated, anyString),
  cancellation_token: anyString,
  webhook: fc.oneof(
    fc.record(
      {
        url: fc.oneof(fc.constantFrom('http://127.0.0.1:9/x', 'http://169.254.169.254/latest', 'http://[::1]/', 'file:///etc/passwd', 'ftp://x', 'javascript:alert(1)', 'http://10.0.0.1/', ''), interpolated, anyString),
        method: fc.oneof(fc.constantFrom('GET', 'POST', 'put', 'TRACE'), anyString),
        headers: fc.dictionary(anyString, fc.oneof(anyString, fc.integer())),
        params: fc.dictionary(anyString, fc.oneof(anyString, fc.integer(), fc.boolean(), jsonValue)),
        body: jsonValue,
      },
      { requiredKeys: [] },
    ),
    jsonValue,
  ),
  merge_strategy: fc.oneof(fc.constantFrom('replace', 'overwrite', 'soft-merge', 'none', 'explode'), anyString),
  merge: fc.oneof(fc.constantFrom('replace', 'overwrite', 'soft-merge', 'none'), anyString),
  recipient_id: fc.oneof(fc.constantFrom('u1', 'refs.data.userId'), interpolated, anyString),
  user_id: fc.oneof(fc.constantFrom('u1', '${data.userId}'), anyString),
  profile: fc.oneof(fc.dictionary(anyString, jsonValue), jsonValue),
  data: fc.oneof(fc.dictionary(anyString, jsonValue), jsonValue),
  context: fc.oneof(fc.record({ data: fc.dictionary(anyString, jsonValue), recipient: anyString }, { requiredKeys: [] }), jsonValue),
  max_allowed: fc.oneof(fc.integer({ min: -2, max: 100 }), fc.double(), anyString),
  period: durationValue,
  scope: fc.oneof(fc.constantFrom('user', 'global', 'dynamic'), anyString),
  throttle_key: fc.oneof(interpolated, anyString),
  wait_period: durationValue,
  max_wait_period: durationValue,
  max_items: fc.oneof(fc.integer({ min: -1, max: 1000 }), anyString),
  batch_key: fc.oneof(interpolated, anyString),
  if: fc.oneof(expression, structuredCondition, fc.boolean()),
  ref: fc.oneof(fc.constantFrom('a', 'step_1', 'x-y'), anyString),
};
const FIELD_NAMES = Object.keys(FIELD_VALUES);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(jsonValue, anyString, interpolated, fc.constant(undefined));

/** A step: a real action name (mostly) with random fields, nested steps for branch. */
export const steps: fc.Arbitrary<unknown[]> = fc.letrec<{ step: unknown; steps: unknown[] }>((tie) => ({
  steps: fc.array(tie('step'), { maxLength: 4, depthIdentifier: 'steps' }),
  step: fc
    .tuple(
      fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...stepActions) }, { weight: 1, arbitrary: anyString }, { weight: 1, arbitrary: jsonValue }),
      fc.uniqueArray(fc.constantFrom(...FIELD_NAMES), { maxLength: 5 }).chain((names) =>
        fc.tuple(...names.map((n) => fc.oneof({ weight: 4, arbitrary: FIELD_VALUES[n] }, { weight: 1, arbitrary: anyValue }).map((v) => [n, v] as const))),
      ),
      fc.option(
        fc.record(
          {
            paths: fc.array(fc.record({ if: fc.oneof(expression, structuredCondition), steps: tie('steps') }, { requiredKeys: [] }), { maxLength: 2 }),
            default: fc.record({ steps: tie('steps') }),
          },
          { requiredKeys: [] },
        ),
        { depthSize: 'small' },
      ),
    )
    .map(([action, fields, branch]) => {
      const step: Record<string, unknown> = { action };
      for (const [k, v] of fields) if (v !== undefined) step[k] = v;
      if (branch) Object.assign(step, branch);
      return step;
    }),
})).steps;

/** A JSON Pointer built from the nastiest segments. */
const pointer = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'a', 'b', '0', '-', '~0', '~1', '', 'email'), anyString), { maxLength: 4 }).map((segs) => segs.map((s) => `/${s}`).join('')),
  anyString,
  fc.constantFrom('', '/', '/__proto__/polluted', '/constructor/prototype/polluted', '/a/0/b', '/-', 'no-slash'),
);

export const patchOperation: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.record(
    {
      op: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test') }, { weight: 1, arbitrary: anyString }),
      path: pointer,
      from: pointer,
      value: fc.oneof(jsonValue, fc.constant(undefined)),
    },
    { requiredKeys: ['op'] },
  ) },
  { weight: 1, arbitrary: jsonValue },
);

/** User ids for profile routes: ordinary, weird, too long, and raw percent-encodings that do not decode. */
export const profilePathId: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('u1', 'u2', 'u3').map(encodeURIComponent) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(600), '__proto__', 'constructor', 'prototype', '..', '.', '%2F', '%252F', 'a%2Fb', '%20') },
  { weight: 1, arbitrary: fc.constantFrom('%ED%A0%80', '%FF', '%', '%E0%A4%A', '%C0%AF', '%00', 'a%00b') },
);

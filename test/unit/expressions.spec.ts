import {
  Condition,
  evaluate,
  evaluateCondition,
  ExpressionError,
  getPath,
  interpolate,
  resolveReference,
  resolveValue,
  Scope,
  validateCondition,
  validateInterpolations,
} from '../../workflows/shared/expressions';

const scope = (): Scope => ({
  data: { userId: 'u1', plan: 'pro', n: 5, vip: false, count: '7', user: { plan: 'team' }, items: [{ sku: 'A1' }, { sku: 'B2' }], tags: ['x', 'y'] },
  profile: { email: 'b@x.io', tier: 'gold' },
  recipient: 'u1',
  brand: { id: 'brand-1' },
  template: 'welcome',
  refs: { welcome: { status: 'SENT', messageId: 'm1' } },
});

describe('getPath', () => {
  it('reads dotted and indexed paths', () => {
    expect(getPath(scope(), 'data.user.plan')).toBe('team');
    expect(getPath({ items: [{ sku: 'A1' }] }, 'items[0].sku')).toBe('A1');
    expect(getPath({ a: { 'b c': 1 } }, "a['b c']")).toBe(1);
    expect(getPath(scope(), 'refs.welcome.status')).toBe('SENT');
    expect(getPath({ a: 1 }, '')).toEqual({ a: 1 });
  });

  it('gives undefined for missing and inherited properties', () => {
    expect(getPath(scope(), 'data.nope.deeper')).toBeUndefined();
    expect(getPath(scope(), 'data.items[9].sku')).toBeUndefined();
    expect(getPath(scope(), 'data.constructor')).toBeUndefined();
    expect(getPath(scope(), 'data.__proto__')).toBeUndefined();
    expect(getPath(scope(), 'data.userId.constructor')).toBeUndefined();
    expect(getPath(scope(), 'data.tags.map')).toBeUndefined();
    expect(getPath(scope(), 'data.tags.length')).toBe(2); // own property of arrays
  });

  it('throws ExpressionError on a malformed path', () => {
    expect(() => getPath({}, 'a..b')).toThrow(ExpressionError);
    expect(() => getPath({}, 'a.')).toThrow(/ends with/);
    expect(() => getPath({}, 'a[x]')).toThrow(/invalid path "a\[x\]"/);
  });
});

describe('resolveReference', () => {
  it('resolves refs.<context root> against the scope', () => {
    expect(resolveReference('refs.data.userId', scope())).toBe('u1');
    expect(resolveReference('refs.profile.email', scope())).toBe('b@x.io');
    expect(resolveReference('refs.event.name', { ...scope(), event: { name: 'Upgraded' } })).toBe('Upgraded');
  });

  it('resolves refs.<name> against step results', () => {
    expect(resolveReference('refs.welcome.status', scope())).toBe('SENT');
    expect(resolveReference('refs.missing.status', scope())).toBeUndefined();
  });

  it('a context root wins over a step result of the same name', () => {
    expect(resolveReference('refs.data.userId', { data: { userId: 'u1' }, refs: { data: { userId: 'shadow' } } })).toBe('u1');
  });

  it('resolves a bare path against the scope', () => {
    expect(resolveReference('data.userId', scope())).toBe('u1');
    expect(resolveReference('data.items[1].sku', scope())).toBe('B2');
  });
});

describe('evaluate', () => {
  it('evaluates literals, paths and operators', () => {
    const s = scope();
    expect(evaluate("data.plan == 'pro' && !(profile.email in ['a@x.io'])", s)).toBe(true);
    expect(evaluate("data.plan == 'pro' && !(profile.email in ['b@x.io'])", s)).toBe(false);
    expect(evaluate('data.n > 3', s)).toBe(true);
    expect(evaluate('data.n <= 4', s)).toBe(false);
    expect(evaluate('-data.n', s)).toBe(-5);
    expect(evaluate('[1, data.n]', s)).toEqual([1, 5]);
    expect(evaluate('data["user"]["plan"]', s)).toBe('team');
    expect(evaluate('data.items[0].sku', s)).toBe('A1');
    expect(evaluate('refs.welcome.status', s)).toBe('SENT');
    expect(evaluate('refs.data.userId', s)).toBe('u1');
    expect(evaluate('null', s)).toBeNull();
    expect(evaluate('data.vip || data.plan', s)).toBe('pro');
  });

  it('compares numbers and numeric strings loosely, everything else strictly', () => {
    const s = scope();
    expect(evaluate("data.count == 7", s)).toBe(true);
    expect(evaluate("data.count != 7", s)).toBe(false);
    expect(evaluate("data.count === 7", s)).toBe(false);
    expect(evaluate("data.missing == null", s)).toBe(false);
    expect(evaluate("0 == ''", s)).toBe(false);
    expect(evaluate("data.vip == 0", s)).toBe(false);
    expect(evaluate("data.count > 6", s)).toBe(true);
  });

  it('gives false when comparing incompatible types', () => {
    const s = scope();
    expect(evaluate('data.user > 1', s)).toBe(false);
    expect(evaluate('data.missing < 1', s)).toBe(false);
    expect(evaluate("data.plan < 3", s)).toBe(false);
    expect(evaluate("'a' < 'b'", s)).toBe(true);
  });

  it('supports in over arrays, object keys and substrings', () => {
    const s = scope();
    expect(evaluate("'x' in data.tags", s)).toBe(true);
    expect(evaluate("'z' in data.tags", s)).toBe(false);
    expect(evaluate("'plan' in data.user", s)).toBe(true);
    expect(evaluate("'constructor' in data.user", s)).toBe(false);
    expect(evaluate("'x.io' in profile.email", s)).toBe(true);
    expect(evaluate("'a' in data.missing", s)).toBe(false);
  });

  it('reads own properties only', () => {
    const s = scope();
    expect(evaluate('data.__proto__', s)).toBeUndefined();
    expect(evaluate('data.constructor', s)).toBeUndefined();
    expect(evaluate('data["__proto__"]', s)).toBeUndefined();
    expect(evaluate('constructor', s)).toBeUndefined();
    expect(evaluate('unknownRoot.x', s)).toBeUndefined();
  });

  it('refuses calls without running anything', () => {
    const spy = jest.fn(() => 'called');
    const s = { ...scope(), data: { f: spy } };
    expect(() => evaluate('constructor.constructor("return process")()', s)).toThrow(ExpressionError);
    expect(() => evaluate('constructor.constructor("return process")()', s)).toThrow(/CallExpression/);
    expect(() => evaluate('data.toString()', s)).toThrow(/unsupported construct CallExpression/);
    // the call is refused even behind a short-circuit that would skip it
    expect(() => evaluate('false && data.f()', s)).toThrow(ExpressionError);
    expect(spy).not.toHaveBeenCalled();
  });

  it.each([
    ['data.x = 1', /assignment/],
    ['this', /ThisExpression/],
    ['this.data', /ThisExpression/],
    ['new Date()', /unsupported construct new/],
    ['`a${data.x}`', /template literal/],
    ['x => 1', /arrow function/],
    ['a ? b : c', /ConditionalExpression/],
    ['a, b', /Compound/],
    ['(a, b)', /SequenceExpression/],
    ['typeof data', /unsupported construct typeof/],
    ['data.n + 1', /unsupported operator \+/],
    ['~data.n', /unsupported operator ~/],
    ['', /empty expression/],
    ["'unclosed", /Unclosed quote/],
  ])('refuses %s', (expr, message) => {
    expect(() => evaluate(expr, scope())).toThrow(ExpressionError);
    expect(() => evaluate(expr, scope())).toThrow(message);
  });

  it('names the expression in the error', () => {
    expect(() => evaluate('data.toString()', {})).toThrow('unsupported construct CallExpression in expression "data.toString()"');
    try {
      evaluate('this', {});
    } catch (e) {
      expect((e as Error).name).toBe('ExpressionError');
    }
    expect.assertions(2);
  });
});

describe('interpolate', () => {
  it('replaces each ${expr}', () => {
    expect(interpolate('${data.userId}-checkout', scope())).toBe('u1-checkout');
    expect(interpolate('Hi ${profile.email}, plan ${data.plan}!', scope())).toBe('Hi b@x.io, plan pro!');
    expect(interpolate('${data.n > 3}', scope())).toBe('true');
  });

  it('renders undefined/null as empty and objects as JSON', () => {
    expect(interpolate('[${data.missing}][${null}]', scope())).toBe('[][]');
    expect(interpolate('u=${data.user}', scope())).toBe('u={"plan":"team"}');
    expect(interpolate('t=${data.tags}', scope())).toBe('t=["x","y"]');
  });

  it('does not end a placeholder at a brace inside a string', () => {
    expect(interpolate("${'}' in data.tags}", scope())).toBe('false');
  });

  it('throws on unclosed or unsafe placeholders', () => {
    expect(() => interpolate('x ${data.userId', scope())).toThrow(/unclosed/);
    expect(() => interpolate('${data.toString()}', scope())).toThrow(ExpressionError);
  });
});

describe('resolveValue', () => {
  it('resolves { $ref }, .$ref keys, refs. strings and ${} strings', () => {
    const s = scope();
    expect(resolveValue({ $ref: 'data.user.plan' }, s)).toBe('team');
    expect(resolveValue({ 'recipient.$ref': 'data.userId', template: 'x' }, s)).toEqual({ recipient: 'u1', template: 'x' });
    expect(resolveValue('refs.data.userId', s)).toBe('u1');
    expect(resolveValue('refs.welcome.status', s)).toBe('SENT');
    expect(resolveValue('${data.n}', s)).toBe(5);
    expect(resolveValue('${data.user}', s)).toEqual({ plan: 'team' });
    expect(resolveValue('${data.userId}-checkout', s)).toBe('u1-checkout');
  });

  it('leaves other strings and values alone', () => {
    const s = scope();
    expect(resolveValue('refs. with space', s)).toBe('refs. with space');
    expect(resolveValue('plain data.userId', s)).toBe('plain data.userId');
    expect(resolveValue(42, s)).toBe(42);
    expect(resolveValue(null, s)).toBeNull();
    expect(resolveValue({ $ref: 'data.userId', other: 1 }, s)).toEqual({ $ref: 'data.userId', other: 1 });
  });

  it('recurses into arrays and objects without mutating the input', () => {
    const input = { a: [{ $ref: 'data.userId' }, 'refs.welcome.messageId'], b: { c: '${data.plan}' } };
    const copy = JSON.parse(JSON.stringify(input));
    expect(resolveValue(input, scope())).toEqual({ a: ['u1', 'm1'], b: { c: 'pro' } });
    expect(input).toEqual(copy);
  });

  it('drops __proto__ keys', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1, "__proto__.$ref": "data.user"}');
    const out = resolveValue(input, scope()) as Record<string, unknown>;
    expect(out).toEqual({ ok: 1 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a non-string $ref', () => {
    expect(() => resolveValue({ $ref: 5 }, scope())).toThrow(ExpressionError);
  });
});

describe('evaluateCondition', () => {
  const s = scope();

  it('evaluates strings and booleans', () => {
    expect(evaluateCondition("data.plan == 'pro'", s)).toBe(true);
    expect(evaluateCondition('data.missing', s)).toBe(false);
    expect(evaluateCondition(true, s)).toBe(true);
    expect(evaluateCondition(false, s)).toBe(false);
  });

  it('evaluates [path, op, value]', () => {
    expect(evaluateCondition(['data.plan', 'is equal', 'pro'], s)).toBe(true);
    expect(evaluateCondition(['data.plan', 'is equal', 'free'], s)).toBe(false);
    expect(evaluateCondition(['data.plan', 'is not equal', 'free'], s)).toBe(true);
    expect(evaluateCondition(['data.count', 'is equal', 7], s)).toBe(true);
    expect(evaluateCondition(['refs.welcome.status', 'is equal', 'SENT'], s)).toBe(true);
    expect(evaluateCondition(['profile.email', 'contains', '@x.'], s)).toBe(true);
    expect(evaluateCondition(['data.tags', 'contains', 'y'], s)).toBe(true);
    expect(evaluateCondition(['data.tags', 'does not contain', 'y'], s)).toBe(false);
    expect(evaluateCondition(['data.user', 'contains', 'plan'], s)).toBe(false);
    expect(evaluateCondition(['profile.email', 'starts with', 'b@'], s)).toBe(true);
    expect(evaluateCondition(['profile.email', 'ends with', '.io'], s)).toBe(true);
    expect(evaluateCondition(['profile.email', 'ends with', '.com'], s)).toBe(false);
    expect(evaluateCondition(['data.n', 'greater than', 3], s)).toBe(true);
    expect(evaluateCondition(['data.n', 'greater than', 5], s)).toBe(false);
    expect(evaluateCondition(['data.n', 'greater than or equal', 5], s)).toBe(true);
    expect(evaluateCondition(['data.count', 'less than', '10'], s)).toBe(true);
    expect(evaluateCondition(['data.n', 'less than or equal', 4], s)).toBe(false);
    expect(evaluateCondition(['data.plan', 'greater than', 1], s)).toBe(false);
  });

  it('resolves the value of a structured condition first', () => {
    expect(evaluateCondition(['recipient', 'is equal', { $ref: 'data.userId' }], s)).toBe(true);
    expect(evaluateCondition(['data.userId', 'is equal', '${recipient}'], s)).toBe(true);
  });

  it('evaluates [path, exists]', () => {
    expect(evaluateCondition(['profile.tier', 'exists'], s)).toBe(true);
    expect(evaluateCondition(['refs.welcome.messageId', 'exists'], s)).toBe(true);
    expect(evaluateCondition(['profile.phone', 'exists'], s)).toBe(false);
    expect(evaluateCondition(['x', 'exists'], { x: null })).toBe(false);
  });

  it('combines with AND / OR', () => {
    const cond: Condition = { AND: [['data.n', 'greater than', 3], { OR: ['data.vip', ['profile.tier', 'exists']] }] };
    expect(evaluateCondition(cond, s)).toBe(true);
    expect(evaluateCondition(cond, { ...s, profile: {} })).toBe(false);
    expect(evaluateCondition({ AND: [] }, s)).toBe(true);
    expect(evaluateCondition({ OR: [] }, s)).toBe(false);
  });

  it('throws on malformed conditions', () => {
    expect(() => evaluateCondition(['data.n', 'is bigger', 3] as unknown as Condition, s)).toThrow(/unknown operator "is bigger"/);
    expect(() => evaluateCondition({ AND: 'x' } as unknown as Condition, s)).toThrow(ExpressionError);
    expect(() => evaluateCondition('data.toString()', s)).toThrow(ExpressionError);
  });
});

describe('validateCondition', () => {
  it('accepts well-formed conditions', () => {
    expect(validateCondition("data.plan == 'pro' && !(profile.email in ['a@x.io'])")).toBeUndefined();
    expect(validateCondition(true)).toBeUndefined();
    expect(validateCondition(['data.plan', 'is equal', 'pro'])).toBeUndefined();
    expect(validateCondition(['profile.tier', 'exists'])).toBeUndefined();
    expect(validateCondition({ AND: [['data.n', 'greater than', 3], { OR: ['data.vip', ['profile.tier', 'exists']] }] })).toBeUndefined();
  });

  it('reports what is wrong', () => {
    expect(validateCondition(['data.n', 'is bigger', 3])).toBe('unknown operator "is bigger"');
    expect(validateCondition('data.toString()')).toBe('expression: unsupported construct CallExpression');
    expect(validateCondition({ AND: 'x' })).toBe('AND must be an array');
    expect(validateCondition({ OR: [true, ['x', 'nope', 1]] })).toBe('OR[1]: unknown operator "nope"');
    expect(validateCondition({ AND: [], OR: [] })).toMatch(/exactly one key/);
    expect(validateCondition(['data.n', 'is equal'])).toMatch(/needs exactly one value/);
    expect(validateCondition(['data.n', 'exists', 1])).toMatch(/takes no value/);
    expect(validateCondition([5, 'exists'])).toMatch(/path/);
    expect(validateCondition(['a..b', 'exists'])).toMatch(/invalid path/);
    expect(validateCondition(['a', 'is equal', '${x()}'])).toMatch(/^value: \$\{x\(\)\}: unsupported construct CallExpression/);
    expect(validateCondition(42)).toMatch(/a condition must be/);
    expect(validateCondition('data.x = 1')).toMatch(/^expression: .*assignment/);
  });
});

describe('validateInterpolations', () => {
  it('accepts safe values', () => {
    expect(validateInterpolations({ webhook: { url: 'https://x.io/${data.userId}', headers: ['${refs.welcome.status}'] } })).toBeUndefined();
    expect(validateInterpolations({ 'recipient.$ref': 'data.userId', x: { $ref: 'refs.welcome.status' } })).toBeUndefined();
    expect(validateInterpolations(42)).toBeUndefined();
  });

  it('reports the first problem with its JSON path', () => {
    expect(validateInterpolations({ webhook: { url: 'https://x.io/${data.toString()}' } })).toBe(
      'webhook.url: ${data.toString()}: unsupported construct CallExpression',
    );
    expect(validateInterpolations({ a: [{ ok: 'x' }, { b: '${this}' }] })).toBe('a[1].b: ${this}: unsupported construct ThisExpression');
    expect(validateInterpolations({ a: 'x ${data.userId' })).toMatch(/^a: unclosed/);
    expect(validateInterpolations({ a: { $ref: 5 } })).toMatch(/^a: must be a reference string/);
    expect(validateInterpolations({ 'to.$ref': 'data..x' })).toMatch(/^to\.\$ref: invalid path/);
    expect(validateInterpolations({ a: 'refs.x..y' })).toMatch(/^a: invalid path/);
  });
});

describe('expression bounds (issue 12, item 7)', () => {
  it('an if of 100,000 && terms is a clear problem, not a stack overflow', () => {
    const huge = Array.from({ length: 100_000 }, (_, i) => `data.a${i}`).join(' && ');
    expect(validateCondition(huge)).toMatch(/^expression: expression too long \(\d+ characters; at most 4000\)$/);
    expect(() => evaluate(huge, {})).toThrow(ExpressionError);
  });

  it('a short expression nested beyond the depth bound is refused; one within it still works', () => {
    const members = `data${'.a'.repeat(150)}`;
    const chain = Array.from({ length: 150 }, () => '1').join(' + ');
    for (const e of [members, chain]) expect(validateCondition(e)).toMatch(/nested too deeply|unsupported operator/);
    expect(validateCondition(members)).toMatch(/nested too deeply/);
    expect(validateCondition(`${'!'.repeat(200)}true`)).toMatch(/nested too deeply/);
    expect(validateCondition(Array.from({ length: 50 }, (_, i) => `data.a${i} == ${i}`).join(' || '))).toBeUndefined();
    expect(evaluate(`${'('.repeat(40)}data.x${')'.repeat(40)} == 3`, { data: { x: '3' } })).toBe(true);
  });
});

import fc from 'fast-check';
import type { Response } from 'supertest';
import { publishedTemplate } from '../support/automations';
import { WorkerHostService } from '../../src/temporal/worker-host.service';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import {
  anyObjectTree,
  anyString,
  anyTree,
  badEvent,
  deepValue,
  expression,
  goodEvent,
  malformedJson,
  obj,
  patchOperation,
  profilePathId,
  rudderEvent,
  steps,
  toJson,
  Tree,
} from './support/bad-input-arbitraries';
import { paginate } from './support/fault-helpers';

/**
 * Fault: whatever arrives at the edge (garbage, hostile JSON, wrong types, huge or deeply
 * nested bodies, prototype-pollution gadgets, unpaired surrogates, NUL) Herald answers with a
 * 2xx or a 4xx `{ message, type }`, never a 500; nothing reaches Object.prototype; the server
 * stays healthy; another workspace's data stays exactly as it was; and the inbound log holds
 * exactly the events that were answered 202.
 *
 * Reproduce a failure with the printed request (and `seed`/`path` from fast-check's report).
 */

type Auth = Record<string, string>;
type Workspace = Awaited<ReturnType<TestHerald['newWorkspace']>>;

let herald: TestHerald;
let fuzz: Workspace;
let control: Workspace;
let controlBefore: Record<string, unknown>;
const prototypesBefore = prototypeShapes();
const suiteStarted = Date.now();

/** messageIds answered 202 in the fuzzed workspace, and those of good events inside rejected batches. */
const accepted = new Set<string>();
const rejected = new Set<string>();
let cases = 0;
let retried503 = 0;
const failedProperties: string[] = [];
let requests = 0;
let area = '';
/** Answers per area and status, printed at the end (how much of the input got past validation). */
const statuses: Record<string, Record<number, number>> = {};
function countStatus(status: number) {
  requests++;
  (statuses[area] ??= {})[status] = (statuses[area][status] ?? 0) + 1;
}

const INBOUND_OK = [202, 400, 413];
const ANY_CLIENT = [200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422];

function prototypeShapes() {
  return {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    function: Object.getOwnPropertyNames(Function.prototype).sort(),
    string: Object.getOwnPropertyNames(String.prototype).sort(),
  };
}

/** Object.prototype (and friends) untouched: checked after every property. */
function expectPrototypesClean() {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(typeof probe.toString).toBe('function');
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(prototypeShapes()).toEqual(prototypesBefore);
}

interface Sent {
  method: string;
  path: string;
  contentType?: string;
  body?: string | Buffer;
}

function describeRequest(req: Sent): string {
  const body =
    req.body === undefined
      ? ''
      : Buffer.isBuffer(req.body)
        ? ` <${req.body.length} bytes: ${req.body.subarray(0, 200).toString('hex')}…>`
        : req.body.length > 3000
          ? ` <${req.body.length} chars> ${JSON.stringify(req.body.slice(0, 300))}…${JSON.stringify(req.body.slice(-100))}`
          : ` ${JSON.stringify(req.body)}`;
  return `${req.method} ${req.path}${req.contentType ? ` (Content-Type: ${req.contentType})` : ''}${body}`;
}

async function call(auth: Auth, req: Sent, allowed: number[], headers: Auth = {}): Promise<Response> {
  const res = await sendRetrying(() => {
    let r = (herald.http as any)[req.method.toLowerCase()](req.path).set(auth).set(headers) as import('supertest').Test;
    if (req.contentType) r = r.set('Content-Type', req.contentType);
    return req.body === undefined ? r : r.send(req.body as any);
  });
  countStatus(res.status);
  const problem = checkResponse(res, allowed);
  if (problem) throw new Error(`${problem}\n  request:  ${describeRequest(req)}${Object.keys(headers).length ? ` ${JSON.stringify(headers)}` : ''}\n  response: ${res.status} ${res.text?.slice(0, 1000)}`);
  return res;
}

/**
 * A 503 with Retry-After is Herald saying "overloaded, try again" (these tests share two cores
 * with Postgres, Temporal and the worker): retried like RudderStack would, a few times. A 503
 * without Retry-After, or one that persists, is reported.
 */
async function sendRetrying(send: () => PromiseLike<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await send();
    if (res.status !== 503 || attempt >= 6 || !res.headers['retry-after']) return res;
    retried503++;
    await new Promise((r) => setTimeout(r, 1_000 * attempt));
  }
}

function checkResponse(res: Response, allowed: number[]): string | undefined {
  if (!allowed.includes(res.status)) return `status ${res.status} not in ${allowed.join('/')}`;
  if (res.status >= 400) {
    const b = res.body as Record<string, unknown>;
    const keys = b && typeof b === 'object' ? Object.keys(b).sort() : [];
    if (keys.join() !== 'message,type' || typeof b.message !== 'string' || typeof b.type !== 'string' || !b.message) {
      return `a ${res.status} body is not { message: string, type: string }`;
    }
  }
  if (hasProtoKey(res.text)) return 'the response carries a "__proto__" key';
  // Checked after every request, so a pollution names the request that caused it.
  if (JSON.stringify(prototypeShapes()) !== JSON.stringify(prototypesBefore) || ({} as Record<string, unknown>).polluted !== undefined) {
    return `Object.prototype (or Array/Function/String.prototype) changed: ${JSON.stringify(prototypeShapes().object)}`;
  }
  return undefined;
}

/** A `"__proto__":` key in JSON text (a "__proto__" string value is fine). */
const hasProtoKey = (text: string | undefined) => !!text && /(^|[^\\])"__proto__"\s*:/.test(text);

/** Records the messageIds of a 202 from the inbound endpoint. */
function recordAccepted(res: Response) {
  if (res.status !== 202) return;
  const items = Array.isArray(res.body.results) ? res.body.results : [res.body];
  for (const item of items) {
    if (typeof item.messageId !== 'string') throw new Error(`202 without a messageId: ${res.text.slice(0, 300)}`);
    accepted.add(item.messageId);
  }
}

const inboundPath = fc.constantFrom('/inbound/rudderstack', '/inbound/segment');
const contentType = fc.oneof(
  { weight: 1, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) },
  { weight: 4, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/cloudevents+json') },
);

async function postInbound(path: string, body: string | Buffer, type = 'application/json', allowed = INBOUND_OK) {
  const res = await call(fuzz.auth, { method: 'POST', path, contentType: type, body }, allowed);
  recordAccepted(res);
  return res;
}

async function run(name: string, numRuns: number, property: fc.IAsyncProperty<any>) {
  const started = Date.now();
  area = name;
  const details = await fc.check(property, { numRuns, includeErrorInReport: true });
  cases += details.numRuns;
  expectPrototypesClean();
  if (details.failed) {
    failedProperties.push(name);
    throw new Error(fc.defaultReportMessage(details));
  }
  console.log(`[bad-input] ${name}: ${numRuns} cases in ${Date.now() - started} ms, answers ${JSON.stringify(statuses[name])}`);
}

/** The control workspace, read back through the API. */
async function readControl() {
  const out: Record<string, unknown> = {};
  for (const path of [
    '/profiles/ctrl-user',
    '/tenants/ctrl-tenant',
    '/tenants/ctrl-tenant/users',
    '/users/ctrl-user/tenants',
    '/notifications/ctrl-note',
    '/notifications',
    '/automations/ctrl-flow',
    '/automations/ctrl-flow/versions',
    '/automations',
    '/inbound/events',
    '/inbound/events/log',
    '/automations/runs',
    '/messages',
  ]) {
    const res = await herald.http.get(path).set(control.auth).query({ limit: 500 });
    out[path] = { status: res.status, body: res.body };
  }
  return out;
}

beforeAll(async () => {
  herald = await startTestHerald();
  await herald.app.listen(0, '127.0.0.1');
  fuzz = await herald.newWorkspace();
  control = await herald.newWorkspace();

  // The control workspace: a profile, a tenant with a member, a notification, a published template, a few events.
  const c = control.auth;
  await herald.http.put('/profiles/ctrl-user').set(c).send({ profile: { name: 'Ctrl', nested: { list: [1, 2, { deep: true }] }, constructor: 'kept' } }).expect(200);
  await herald.http.put('/tenants/ctrl-tenant').set(c).send({ name: 'Control Inc', properties: { tier: 'gold' } }).expect(200);
  await herald.http.put('/users/ctrl-user/tenants/ctrl-tenant').set(c).send({ profile: { role: 'admin' } }).expect(200);
  await herald.http.put('/notifications/ctrl-note').set(c).send({ name: 'Ctrl note', channels: { inbox: { title: 'Hi {{ profile.name }}', body: 'x' } } }).expect(200);
  await publishedTemplate(herald, c, { name: 'Control flow', alias: 'ctrl-flow', steps: [{ action: 'delay', duration: '1 hour' }, { action: 'send', template: 'ctrl-note' }] });
  const events = [
    { type: 'identify', userId: 'ctrl-user', messageId: 'ctrl-1', traits: { plan: 'pro' } },
    { type: 'track', userId: 'ctrl-user', messageId: 'ctrl-2', event: 'Control Event', properties: { n: 1 } },
    { type: 'group', userId: 'ctrl-user', messageId: 'ctrl-3', groupId: 'ctrl-tenant', traits: { name: 'Control Inc', tier: 'gold' } },
  ];
  for (const e of events) await herald.http.post('/inbound/rudderstack').set(c).send(e).expect(202);
  await waitUntil(async () => {
    const log = await herald.http.get('/inbound/events/log').set(c);
    return log.body.items?.length === events.length && log.body.items.every((r: any) => r.status !== 'pending');
  }, { what: 'control events processed' });
  controlBefore = await readControl();
  expect(Object.values(controlBefore).every((r: any) => r.status === 200)).toBe(true);
}, 120_000);

afterAll(async () => {
  if (!herald) return;
  // Stopping drains the worker first; if that hangs, say what the worker is still doing rather
  // than hang the suite (jest's forceExit ends the process).
  const host = herald.app.get(WorkerHostService);
  const started = Date.now();
  const drained = await Promise.race([host.stop().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
  if (!drained) {
    const worker = (host as unknown as { worker?: { getState(): string; getStatus(): unknown } }).worker;
    console.warn(`[bad-input] the worker is still draining after 20 s: state ${worker?.getState()}, status ${JSON.stringify(worker?.getStatus())}`);
    return;
  }
  await herald.stop();
  if (Date.now() - started > 10_000) console.warn(`[bad-input] herald.stop() took ${Date.now() - started} ms`);
}, 120_000);

describe('POST /inbound/rudderstack with bad input', () => {
  it('malformed JSON text → 400 (or 202 when it happens to be an event)', async () => {
    await run('malformed JSON', 1_500, fc.asyncProperty(inboundPath, malformedJson, async (path, text) => {
      const res = await postInbound(path, text);
      if (res.status === 413) throw new Error('413 for a small body');
    }));
  });

  it('random bytes (invalid UTF-8) → 400', async () => {
    await run('random bytes', 500, fc.asyncProperty(inboundPath, fc.uint8Array({ maxLength: 64 }), async (path, bytes) => {
      await postInbound(path, Buffer.from(bytes));
    }));
  });

  it('any JSON value, with duplicate and __proto__ keys at any depth → 202/400', async () => {
    await run('random JSON', 2_000, fc.asyncProperty(inboundPath, anyTree, async (path, tree) => {
      await postInbound(path, toJson(tree));
    }));
  });

  it('events of every type with fields of wrong types → 202/400', async () => {
    await run('typed events', 2_300, fc.asyncProperty(inboundPath, rudderEvent, async (path, event) => {
      const res = await postInbound(path, toJson(event));
      if (res.status === 413) throw new Error('413 for a small body');
    }));
  });

  it('any Content-Type or charset → 202/400/413 (the body is JSON whatever the header claims)', async () => {
    const body = fc.oneof(goodEvent.map(toJson), malformedJson, fc.constant(''));
    await run('content types', 200, fc.asyncProperty(contentType, body, async (type, text) => {
      await postInbound('/inbound/rudderstack', text, type);
    }));
  });

  it('batches mixing good and bad events: all-or-nothing, naming the first bad one', async () => {
    let batchNo = 0;
    const item = fc.oneof({ weight: 3, arbitrary: goodEvent.map((t) => ({ good: true, t })) }, { weight: 1, arbitrary: badEvent.map((t) => ({ good: false, t })) });
    await run('batches', 300, fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 6 }), fc.constantFrom('array', 'batch'), async (items, shape) => {
      batchNo++;
      // Unique messageIds for the good events, so "nothing stored" can be checked at the end.
      const ids = items.map((_, i) => `batch-${batchNo}-${i}-${fuzz.id}`);
      const trees = items.map(({ good, t }, i) => (good ? withMessageId(t, ids[i]) : t));
      const body = shape === 'array' ? `[${trees.map(toJson).join(',')}]` : `{"batch":[${trees.map(toJson).join(',')}]}`;
      const res = await postInbound('/inbound/rudderstack', body);
      const firstBad = items.findIndex((i) => !i.good);
      if (firstBad < 0) {
        expect(res.status).toBe(202);
        expect(res.body.results.map((r: any) => r.messageId)).toEqual(ids);
      } else {
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(new RegExp(`^${shape === 'array' ? '' : 'batch'}\\[${firstBad}\\]`));
        items.forEach((i, n) => i.good && rejected.add(ids[n]));
      }
    }));
  });

  it('unicode: lone surrogates, NUL, BOM and non-characters in keys and values → 202/400', async () => {
    const weird = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.constantFrom('\u0000', '\ud800', '\udc00', 'a\ud800b', '\ufeff', '\uffff', '\u0085'));
    await run('unicode', 300, fc.asyncProperty(weird, weird, fc.constantFrom('userId', 'event', 'messageId', 'traitKey', 'traitValue', 'groupId'), async (s, t, where) => {
      const base: Record<string, Tree | undefined> = { type: where === 'traitKey' || where === 'traitValue' ? 'identify' : where === 'groupId' ? 'group' : 'track', userId: 'u', event: 'E' };
      if (where === 'traitKey') base.traits = { obj: [[s, t]] };
      else if (where === 'traitValue') base.traits = obj({ k: s });
      else base[where] = s;
      if (where === 'groupId') base.traits = obj({ name: t });
      await postInbound('/inbound/rudderstack', toJson(obj(base)));
    }));
  });

  it('deeply nested and huge (under 1 MB) bodies → 202/400; over 4 MB → 413', async () => {
    await run('deep', 60, fc.asyncProperty(deepValue, fc.constantFrom('identify', 'track', 'group'), async ({ json }, type) => {
      const where = type === 'track' ? 'properties' : 'traits';
      const body = `{"type":"${type}","userId":"deep","event":"Deep","groupId":"deep-g","${where}":{"v":${json}}}`;
      await postInbound('/inbound/rudderstack', body);
    }));
    await run('huge', 20, fc.asyncProperty(fc.integer({ min: 100_000, max: 900_000 }), fc.constantFrom('x', 'é', '\u0000', '😀', '\\"'), async (n, ch) => {
      const blob = ch.repeat(Math.floor(n / Math.max(1, Buffer.byteLength(ch))));
      await postInbound('/inbound/rudderstack', JSON.stringify({ type: 'track', userId: 'huge', event: 'Huge', properties: { blob } }));
    }));
    await run('over the limit', 4, fc.asyncProperty(fc.constantFrom(4 * 1024 * 1024 + 1, 5 * 1024 * 1024, 6 * 1024 * 1024), async (n) => {
      const body = JSON.stringify({ type: 'track', userId: 'huge', event: 'Huge', properties: { blob: 'y'.repeat(n) } });
      const res = await postInbound('/inbound/rudderstack', body);
      expect(res.status).toBe(413);
    }));
  });
});

describe('the step validator through the automations API', () => {
  it('POST /automations with random steps → 201/400; created ones survive PUT, publish and invoke', async () => {
    const body = fc.record(
      {
        name: fc.oneof({ weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, { weight: 1, arbitrary: fc.jsonValue() }),
        alias: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/), anyString),
        cancelation_token: fc.oneof(expression.map((e) => `\${${e}}`), anyString),
        recipient: fc.oneof(fc.constantFrom('refs.data.userId', '${data.userId}'), anyString),
        steps: fc.oneof({ weight: 6, arbitrary: steps }, { weight: 1, arbitrary: fc.jsonValue() }),
      },
      { requiredKeys: ['name', 'steps'] },
    );
    await run('templates', 1_000, fc.asyncProperty(body, steps, fc.boolean(), async (b, nextSteps, invoke) => {
      const created = await call(fuzz.auth, { method: 'POST', path: '/automations', contentType: 'application/json', body: JSON.stringify(b) }, [201, 400, 409]);
      if (created.status !== 201) return;
      const id = created.body.id;
      await call(fuzz.auth, { method: 'PUT', path: `/automations/${id}`, contentType: 'application/json', body: JSON.stringify({ name: 'edited', steps: nextSteps }) }, [200, 400]);
      const published = await call(fuzz.auth, { method: 'POST', path: `/automations/${id}/publish` }, [200, 201, 400, 409]);
      if (invoke && published.status < 300) {
        await call(fuzz.auth, { method: 'POST', path: `/automations/${id}/invoke`, contentType: 'application/json', body: JSON.stringify({ recipient: 'fuzz-user', data: { userId: 'fuzz-user' } }) }, [202, 400, 404, 409]);
      }
    }));
  });

  it('POST /automations/invoke with random steps and context → 202/400', async () => {
    const body = fc.record(
      {
        automation: fc.oneof(
          { weight: 6, arbitrary: fc.record({ steps, cancelation_token: fc.oneof(anyString, fc.jsonValue()) }, { requiredKeys: ['steps'] }) },
          { weight: 1, arbitrary: fc.jsonValue() },
        ),
        recipient: fc.oneof(fc.constantFrom('fuzz-user'), anyString, fc.jsonValue()),
        data: fc.oneof(fc.dictionary(anyString, fc.jsonValue()), fc.jsonValue()),
        profile: fc.oneof(fc.dictionary(anyString, fc.jsonValue()), fc.jsonValue()),
        brand: anyString,
        template: anyString,
      },
      { requiredKeys: ['automation'] },
    );
    await run('ad hoc invoke', 1_000, fc.asyncProperty(body, fc.option(anyString.filter((s) => /^[\x21-\x7e]*$/.test(s))), async (b, key) => {
      const req: Sent = { method: 'POST', path: '/automations/invoke', contentType: 'application/json', body: JSON.stringify(b) };
      await call(fuzz.auth, req, [202, 400, 404, 409], key ? { 'Idempotency-Key': key } : {});
    }));
  });

  it('inline automations in track events (properties.courier.automation) → 202 (logged failed when they cannot run)', async () => {
    const automation = fc.record(
      {
        steps,
        template: fc.oneof(anyString, fc.jsonValue()),
        data: fc.jsonValue(),
        profile: fc.jsonValue(),
        recipient: fc.oneof(anyString, fc.jsonValue()),
        cancelation_token: fc.oneof(anyString, expression.map((e) => `\${${e}}`)),
      },
      { requiredKeys: [] },
    );
    await run('inline automations', 300, fc.asyncProperty(fc.oneof(automation, fc.jsonValue()), async (a) => {
      await postInbound('/inbound/rudderstack', JSON.stringify({ type: 'track', userId: 'fuzz-user', event: 'Inline', properties: { courier: { automation: a } } }));
    }));
  });
});

describe('profiles with random JSON and JSON Patch', () => {
  it('POST/PUT/PATCH/GET/DELETE /profiles/{id} → 2xx/4xx, and a stored profile never has a __proto__ key', async () => {
    const request = fc.oneof(
      fc.tuple(fc.constantFrom('POST', 'PUT'), fc.oneof({ weight: 4, arbitrary: anyObjectTree.map((p) => obj({ profile: p })) }, { weight: 1, arbitrary: anyTree.map((p) => obj({ profile: p })) }, { weight: 1, arbitrary: anyTree }).map(toJson)),
      fc.tuple(
        fc.constant('PATCH'),
        fc.oneof(
          { weight: 5, arbitrary: fc.array(patchOperation, { maxLength: 5 }).map((patch) => JSON.stringify({ patch })) },
          { weight: 1, arbitrary: anyTree.map((p) => toJson(obj({ patch: p }))) },
          { weight: 1, arbitrary: anyTree.map(toJson) },
        ),
      ),
      fc.tuple(fc.constantFrom('GET', 'DELETE'), fc.constant(undefined)),
    );
    await run('profiles', 2_000, fc.asyncProperty(profilePathId, request, async (id, [method, body]) => {
      const path = `/profiles/${id}`;
      const res = await call(fuzz.auth, { method, path, contentType: body === undefined ? undefined : 'application/json', body }, ANY_CLIENT);
      if (method !== 'GET' && method !== 'DELETE' && res.status < 300) {
        // What was stored reads back as a JSON object without a __proto__ key.
        const read = await call(fuzz.auth, { method: 'GET', path }, [200]);
        if (typeof read.body.profile !== 'object' || read.body.profile === null || Array.isArray(read.body.profile)) throw new Error(`stored profile is not an object: ${read.text.slice(0, 300)}`);
      }
    }));
  });
});

describe('query strings and cursors on every list endpoint of the OpenAPI document', () => {
  /** GET routes that answer a page (`items`); path parameters filled with the control workspace's ids or random text. */
  let lists: Array<{ path: string; query: string[] }> = [];
  beforeAll(async () => {
    const doc = await herald.http.get('/docs/openapi.json').expect(200);
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, any>>)) {
      const get = ops.get;
      if (!get) continue;
      const query = ((get.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === 'query').map((p) => p.name);
      if (query.includes('cursor') || query.includes('limit')) lists.push({ path, query });
    }
  });

  it('finds the list endpoints (a list added later is fuzzed automatically)', () => {
    const paths = lists.map((l) => l.path);
    for (const p of ['/automations/runs', '/messages', '/inbound/events/log', '/automations', '/notifications', '/inbox/{userId}/messages']) expect(paths).toContain(p);
    expect(lists.length).toBeGreaterThanOrEqual(10);
  });

  it('random, forged and malformed query strings → 200/400/404, never a 500', async () => {
    // Forged cursors: base64url of JSON of the wrong shape or types, of a real-looking key with a bad timestamp or id, or not base64 at all.
    // A URL cannot carry a lone surrogate (encodeURIComponent throws on one); broken escapes are fuzzed as raw bytes below.
    const encode = (v: string) => encodeURIComponent(v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');
    const forgedCursor = fc.oneof(
      fc.jsonValue().map(b64),
      fc.tuple(anyString, anyString).map(b64),
      fc.tuple(fc.constantFrom('2026-13-45T99:00:00.000000Z', '9999999999999999', '-1', 'NaN', '1e400', "'; DROP TABLE runs; --", 'ffffffff-ffff-ffff-ffff-fffffffffffz'), fc.constantFrom('x', '00000000-0000-0000-0000-000000000000', '99999999999999999999', '')).map(b64),
      fc.array(fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), { maxLength: 4 }).map(b64),
      anyString,
      fc.string({ minLength: 5000, maxLength: 9000 }),
    );
    const value = fc.oneof(
      { weight: 3, arbitrary: forgedCursor.map(encode) },
      { weight: 2, arbitrary: anyString.map(encode) },
      { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: false }), fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n })).map(String).map(encode) },
      // Raw bytes a client may send unencoded, including broken percent escapes.
      { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%C0%AF', '+', '[]', '[0]=1', '%F0%9F%98') },
    );
    const pair = (l: { query: string[] }) =>
      fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...l.query) }, { weight: 1, arbitrary: anyString.map(encode) }, { weight: 1, arbitrary: fc.constantFrom(...l.query).map((k) => `${k}[]`) }), value);
    const pathValue = fc.oneof(fc.constantFrom('ctrl-user', 'ctrl-tenant', 'ctrl-flow', 'ctrl-note'), anyString.filter((v) => v.length > 0 && v !== '.' && v !== '..'));
    const request = fc.integer({ min: 0, max: lists.length - 1 }).chain((i) =>
      fc.tuple(fc.constant(lists[i]), fc.array(pair(lists[i]), { minLength: 1, maxLength: 5 }), pathValue),
    );
    await run('list queries', 1_500, fc.asyncProperty(request, async ([list, pairs, id]) => {
      const path = list.path.replace(/\{[^}]+\}/g, encode(id));
      const qs = pairs.map(([k, v]) => `${k}=${v}`).join('&');
      // Node's parser answers a request line over its 16 KB header limit with a bare 431 before Herald sees it.
      fc.pre(path.length + qs.length < 12_000);
      const res = await call(control.auth, { method: 'GET', path: `${path}?${qs}` }, [200, 400, 404]);
      if (res.status === 200 && !Array.isArray(res.body.items)) throw new Error(`GET ${path}?${qs}: a 200 without items: ${res.text.slice(0, 300)}`);
    }));
  });

  it('every cursor a list hands out is accepted back, and a tampered one is a 400 naming the cursor', async () => {
    for (const list of lists.filter((l) => !l.path.includes('{'))) {
      const first = await call(control.auth, { method: 'GET', path: `${list.path}?limit=1` }, [200]);
      if (!first.body.cursor) continue;
      await call(control.auth, { method: 'GET', path: `${list.path}?limit=1&cursor=${encodeURIComponent(first.body.cursor)}` }, [200]);
      const decoded = JSON.parse(Buffer.from(first.body.cursor, 'base64url').toString('utf8')) as unknown[];
      const tampered = Buffer.from(JSON.stringify([...decoded, 'one key too many']), 'utf8').toString('base64url');
      const res = await call(control.auth, { method: 'GET', path: `${list.path}?cursor=${tampered}` }, [400]);
      expect(res.body.message).toMatch(/cursor/);
    }
  });
});

/** Delivery windows as written by people: valid ones, near misses, token soup and any string. */
const windowText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('Mo-Fr 08:00-16:30', 'Mo 09:00-12:00, 14:00-18:00', '24/7', 'off', 'sunrise-sunset', 'PH off', 'Mo-Su 21:00-06:00', 'Apr 05 08:00-09:00', '2020 Jan 01 08:00-09:00', '2030-01-31T09:00:00Z', '2030-02-30', 'Mo-Fr 25:00-26:00') },
  { weight: 3, arbitrary: fc.array(fc.constantFrom('Mo', 'Tu', 'Su', 'PH', 'SH', '-', ' ', ',', ';', '||', '08:00', '24:00', '99:99', '+', 'Jan', 'Dec', '2027', 'week', '01-53', '/2', '"x"', '[1]', '[-1]', 'easter', 'dawn', 'off', 'open', 'unknown', '00:00-24:00'), { maxLength: 14 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: anyString },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(600), 'Mo '.repeat(300), '\u0000', '2027 Mar 28 02:30-03:30') },
);
const zoneText = fc.oneof(fc.constantFrom('Europe/Oslo', 'Asia/Tokyo', 'UTC', 'Etc/GMT+14', 'Not/AZone', '', 'utc', 'europe/oslo', '../../etc/passwd'), anyString);
const topicPathId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('news', 'tips', 'security') }, { weight: 2, arbitrary: profilePathId });
const statusValue = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('OPTED_IN', 'OPTED_OUT', 'REQUIRED', 'opted_in', '') }, { weight: 1, arbitrary: anyTree });
const channelsValue = fc.oneof(fc.constant(undefined), fc.array(fc.oneof(fc.constantFrom('email', 'inbox', 'webhook', 'sms'), anyTree), { maxLength: 4 }).map((a) => ({ arr: a }) as Tree), anyTree);
const preferenceBody = fc.oneof(
  { weight: 3, arbitrary: fc.record({ status: statusValue, has_custom_routing: fc.oneof(fc.boolean(), anyTree), custom_routing: channelsValue }, { requiredKeys: [] }).map((t) => obj(t as Record<string, Tree>)) },
  { weight: 1, arbitrary: anyTree },
);
/** Courier's two preference shapes, with wrong types anywhere. */
const tracedPreferences = fc.oneof(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom('news', 'tips', 'security', '__proto__'), fc.string({ maxLength: 20 }), anyTree), preferenceBody), { maxLength: 4 }).map((items) => obj({ items: { arr: items.map(([topic_id, p]) => (p && typeof p === 'object' && 'obj' in p ? { obj: [['topic_id', topic_id], ...p.obj] } : p)) } as Tree })),
  fc.dictionary(fc.oneof(fc.constantFrom('news', 'tips', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), fc.oneof(preferenceBody, fc.record({ status: statusValue, channel_preferences: anyTree }).map((r) => obj(r as Record<string, Tree>))), { maxKeys: 4 }).map((n) => obj({ notifications: { obj: Object.entries(n) } as Tree })),
  anyTree,
);

describe('consent and timing with bad input', () => {
  beforeAll(async () => {
    for (const [id, status] of [['news', 'OPTED_IN'], ['tips', 'OPTED_OUT'], ['security', 'REQUIRED']]) {
      await call(fuzz.auth, { method: 'PUT', path: `/preferences/topics/${id}`, contentType: 'application/json', body: JSON.stringify({ name: id, default_status: status }) }, [200]);
    }
  });

  it('topics, user and tenant preferences, suppressions and delivery settings with random bodies → 2xx/4xx', async () => {
    const request = fc.oneof(
      fc.tuple(fc.constant('PUT'), topicPathId.map((t) => `/preferences/topics/${t}`), fc.record({ name: fc.oneof(fc.string({ maxLength: 20 }), anyTree), default_status: statusValue, channels: channelsValue }, { requiredKeys: [] }).map((b) => toJson(obj(b as Record<string, Tree>)))),
      fc.tuple(fc.constant('PUT'), fc.tuple(profilePathId, topicPathId).map(([u, t]) => `/users/${u}/preferences/${t}`), fc.oneof(preferenceBody.map((t) => toJson(obj({ topic: t }))), anyTree.map(toJson))),
      fc.tuple(fc.constant('PUT'), fc.tuple(profilePathId, topicPathId).map(([u, t]) => `/tenants/${u}/default_preferences/items/${t}`), preferenceBody.map(toJson)),
      fc.tuple(fc.constantFrom('PUT', 'GET', 'DELETE'), fc.oneof(fc.emailAddress(), anyString).map((e) => `/suppressions/${encodeURIComponent(e.replace(/[\ud800-\udfff]/g, '\ufffd'))}`), fc.oneof(fc.constant(undefined), anyTree.map(toJson), fc.constantFrom('{"reason":"MANUAL"}', '{"reason":"BOUNCED"}'))),
      fc.tuple(fc.constant('PUT'), fc.constant('/settings/delivery'), fc.record({ default_timezone: fc.oneof(zoneText, anyTree), quiet_hours: fc.oneof(windowText, fc.constant(null), anyTree) }, { requiredKeys: [] }).map((b) => toJson(obj(b as Record<string, Tree>)))),
      fc.tuple(fc.constantFrom('GET', 'DELETE'), fc.oneof(topicPathId.map((t) => `/preferences/topics/${t}`), profilePathId.map((u) => `/users/${u}/preferences`), profilePathId.map((u) => `/users/${u}/preference-changes`)), fc.constant(undefined)),
    );
    await run('consent settings', 1_500, fc.asyncProperty(request, async ([method, path, body]) => {
      // Deleting the three fixture topics would only make the other cases 404: keep them.
      if (method === 'DELETE' && /^\/preferences\/topics\/(news|tips|security)$/.test(path)) return;
      await call(fuzz.auth, { method, path, contentType: body === undefined ? undefined : 'application/json', body }, ANY_CLIENT);
    }));
    // What was stored still reads back.
    await call(fuzz.auth, { method: 'GET', path: '/settings/delivery' }, [200]);
    await call(fuzz.auth, { method: 'GET', path: '/users/u1/preferences' }, [200]);
    await call(fuzz.auth, { method: 'GET', path: '/preferences/topics' }, [200]);
  });

  it('/send with random delays (windows, timestamps) and recipient zones → 202/400', async () => {
    const body = fc.record({ until: fc.oneof(windowText, anyTree), zoneinfo: fc.oneof(fc.constant(undefined), zoneText), timezone: fc.oneof(fc.constant(undefined), zoneText, anyTree) }).map(({ until, zoneinfo, timezone }) =>
      toJson(obj({ message: obj({ to: obj({ user_id: 'u1', zoneinfo: zoneinfo as Tree | undefined, timezone: timezone as Tree | undefined }), content: obj({ title: 't', body: 'b' }), delay: obj({ until: until as Tree }) }) })),
    );
    await run('send delays', 400, fc.asyncProperty(body, async (b) => {
      await call(fuzz.auth, { method: 'POST', path: '/send', contentType: 'application/json', body: b }, [202, 400, 413]);
    }));
  });

  it('forged tokens and random forms on the public unsubscribe and preferences pages → 404/4xx, never a change', async () => {
    const before = await call(fuzz.auth, { method: 'GET', path: '/users/u1/preference-changes' }, [200]);
    const token = fc.oneof(fc.base64String({ maxLength: 120 }), fc.string({ maxLength: 60 }).map(encodeURIComponent), fc.constantFrom('a.b', 'eyJ3IjoiZnV6eiJ9.x', '..', '%00', 'x'.repeat(5000)));
    const form = fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('topic', 'on', '__proto__', 'news', 'tips'), fc.string({ maxLength: 8 })), fc.string({ maxLength: 12 }), { maxKeys: 5 }).map((d) => new URLSearchParams(d).toString()), anyString, fc.constant('a='.repeat(9000)));
    await run('public token pages', 300, fc.asyncProperty(fc.constantFrom('/u/', '/p/'), token, fc.constantFrom('GET', 'POST'), form, fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'), async (prefix, t, method, f, type) => {
      await call({}, { method, path: `${prefix}${t}`, contentType: method === 'POST' ? type : undefined, body: method === 'POST' ? f : undefined }, [400, 404, 413, 414, 415, 431]);
    }));
    const after = await call(fuzz.auth, { method: 'GET', path: '/users/u1/preference-changes' }, [200]);
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('identify events carrying random preferences → 202/400, and none of the accepted ones fails processing', async () => {
    const mine: string[] = [];
    await run('identify preferences', 300, fc.asyncProperty(fc.uuid(), fc.boolean(), tracedPreferences, async (messageId, nested, prefs) => {
      const traits = nested ? obj({ courier: obj({ preferences: prefs }) }) : obj({ preferences: prefs });
      const res = await postInbound('/inbound/rudderstack', toJson(obj({ type: 'identify', userId: 'u2', messageId, traits })));
      if (res.status === 202) mine.push(messageId);
    }));
    const failed = await waitUntil(async () => {
      const page = await call(fuzz.auth, { method: 'GET', path: '/inbound/events/log?status=failed&limit=500' }, [200]);
      const pending = await call(fuzz.auth, { method: 'GET', path: '/inbound/events/log?status=pending&limit=1' }, [200]);
      return pending.body.items.length === 0 ? page.body.items.filter((e: { message_id: string }) => mine.includes(e.message_id)) : undefined;
    }, { timeoutMs: 120_000, what: 'fuzzed identifies processed' });
    expect(failed).toEqual([]);
  });
});

describe('afterwards', () => {
  it('the pollution check would notice a polluted Object.prototype (so its silence means something)', () => {
    const ok = { status: 400, body: { message: 'm', type: 't' }, text: '{"message":"m","type":"t"}' } as unknown as Response;
    expect(checkResponse(ok, [400])).toBeUndefined();
    (Object.prototype as Record<string, unknown>).polluted = 'yes';
    try {
      expect(checkResponse(ok, [400])).toMatch(/Object\.prototype/);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expectPrototypesClean();
  });

  it('the server is healthy, the control workspace is unchanged, and the fuzzed log holds exactly the 202s', async () => {
    expectPrototypesClean();
    expect((await herald.http.get('/health')).status).toBe(200);
    await waitUntil(async () => (await herald.http.get('/ready')).status === 200, { timeoutMs: 30_000, what: '/ready to answer 200' });

    expect(await readControl()).toEqual(controlBefore);

    // Every 202 is logged, nothing else is (a rejected batch stored none of its good events).
    const log = await paginate(herald, fuzz.auth, '/inbound/events/log');
    const logged = new Set(log.map((r) => r.message_id as string));
    expect([...logged].filter((id) => !accepted.has(id)).slice(0, 10)).toEqual([]);
    expect([...accepted].filter((id) => !logged.has(id)).slice(0, 10)).toEqual([]);
    expect(log.length).toBe(accepted.size);
    expect([...rejected].filter((id) => logged.has(id))).toEqual([]);
    expect(log.filter((r) => hasProtoKey(JSON.stringify(r.body))).map((r) => r.message_id)).toEqual([]);

    // Every accepted event is processed: none is stuck, none failed except for its inline
    // automation (bad steps or fields, a template that does not exist: the sender's mistake,
    // logged with the reason, since RudderStack drops a 4xx for good).
    // Waits while the backlog shrinks; 30 s without progress means what is left is stuck.
    let stuck = await paginate(herald, fuzz.auth, '/inbound/events/log', { status: 'pending' });
    for (let lastProgress = Date.now(), before = stuck.length; stuck.length && Date.now() - lastProgress < 30_000; ) {
      await new Promise((r) => setTimeout(r, 2_000));
      stuck = await paginate(herald, fuzz.auth, '/inbound/events/log', { status: 'pending' });
      if (stuck.length < before) [lastProgress, before] = [Date.now(), stuck.length];
    }
    const final = await paginate(herald, fuzz.auth, '/inbound/events/log');
    const outcomes: Record<string, number> = {};
    for (const r of final) outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
    const failed = final.filter((r) => r.status === 'failed' && (r.body?.properties?.courier?.automation === undefined || !r.error));

    console.log(
      `[bad-input] ${cases} generated cases${failedProperties.length ? ` (failed: ${failedProperties.join(', ')})` : ''}, ${requests} requests ` +
        `(${retried503} retried after a 503) in ${Date.now() - suiteStarted} ms; ` +
        `${accepted.size} events accepted, outcomes ${JSON.stringify(outcomes)}`,
    );
    const summary = (r: Record<string, any>) => {
      const { data, profile, steps: inlineSteps, ...automation } = r.body?.properties?.courier?.automation ?? {};
      return { message_id: r.message_id, error: r.error, automation, body: JSON.stringify(r.body).slice(0, 300) };
    };
    expect({ stuck: stuck.slice(0, 3).map(summary), stuckCount: stuck.length, failed: failed.slice(0, 3).map(summary), failedCount: failed.length }).toEqual({
      stuck: [],
      stuckCount: 0,
      failed: [],
      failedCount: 0,
    });
    // (A property that failed stopped early; the count only means something when none did.)
    if (!failedProperties.length) expect(cases).toBeGreaterThanOrEqual(10_000);
  }, 200_000);
});

/** Replaces (or adds) the messageId of an event tree. */
function withMessageId(tree: Tree, messageId: string): Tree {
  if (tree === null || typeof tree !== 'object' || !('obj' in tree)) return tree;
  return { obj: [...tree.obj.filter(([k]) => k !== 'messageId'), ['messageId', messageId]] };
}

import { randomUUID } from 'node:crypto';
import { courierFixture } from '../support/fixtures';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(() => herald?.stop());

const withId = (event: Record<string, any>): Record<string, any> => ({ ...event, messageId: randomUUID() });

async function logEntry(auth: Record<string, string>, messageId: string) {
  const res = await herald.http.get('/inbound/events/log').set(auth).query({ limit: 500 });
  return (res.body.items as Array<Record<string, any>>).find((e) => e.message_id === messageId);
}

async function processed(auth: Record<string, string>, messageId: string) {
  return waitUntil(async () => {
    const entry = await logEntry(auth, messageId);
    return entry && entry.status !== 'pending' ? entry : undefined;
  }, { what: `ingest of ${messageId}` });
}

describe('POST /inbound/rudderstack with the Courier destination payloads', () => {
  it('merges identify traits into the profile', async () => {
    const ws = await herald.newWorkspace();
    const event = withId(courierFixture('identify-traits'));
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ messageId: event.messageId });
    expect((await processed(ws.auth, event.messageId)).status).toBe('processed');
    const profile = await herald.http.get('/profiles/userIdTest').set(ws.auth);
    expect(profile.body.profile).toEqual({ name: 'Joe Doe', email: 'joe@example.com', plan: 'basic', age: 27 });
  });

  it('accepts an identify that only has context.traits', async () => {
    const ws = await herald.newWorkspace();
    const event = withId(courierFixture('identify-context-traits'));
    delete event.traits;
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event);
    expect(res.status).toBe(202);
    await processed(ws.auth, event.messageId as string);
    const profile = await herald.http.get('/profiles/userIdTest').set(ws.auth);
    expect(profile.body.profile.email).toBe('joe@example.com');
  });

  it('deep-merges successive identifies (objects merge, arrays and scalars replace)', async () => {
    const ws = await herald.newWorkspace();
    const first = { type: 'identify', userId: 'u1', messageId: randomUUID(), traits: { plan: 'free', address: { city: 'Oslo', zip: '0150' }, tags: ['a', 'b'] } };
    const second = { type: 'identify', userId: 'u1', messageId: randomUUID(), traits: { plan: 'pro', address: { city: 'Bergen' }, tags: ['c'] } };
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(first).expect(202);
    await processed(ws.auth, first.messageId);
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(second).expect(202);
    await processed(ws.auth, second.messageId);
    const profile = await herald.http.get('/profiles/u1').set(ws.auth);
    expect(profile.body.profile).toEqual({ plan: 'pro', address: { city: 'Bergen', zip: '0150' }, tags: ['c'] });
  });

  it('logs and catalogs a track event (unmapped until automations exist)', async () => {
    const ws = await herald.newWorkspace();
    const event = withId(courierFixture('track'));
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event).expect(202);
    const entry = await processed(ws.auth, event.messageId as string);
    expect(entry).toMatchObject({ type: 'track', event_id: 'track/trackTest', user_id: 'userIdTest', status: 'unmapped' });
    expect(entry.body.properties).toEqual({ activity: 'checkout' });
    const catalog = await herald.http.get('/inbound/events').set(ws.auth).expect(200);
    expect(catalog.body.items).toEqual([
      expect.objectContaining({ event_id: 'track/trackTest', type: 'track', count: 1, sample: expect.objectContaining({ event: 'trackTest' }) }),
    ]);
  });

  it('accepts the inline-automation track fixture and the /inbound/segment alias', async () => {
    const ws = await herald.newWorkspace();
    const event = withId(courierFixture('track-inline-automation'));
    const res = await herald.http.post('/inbound/segment').set(ws.auth).send(event);
    expect(res.status).toBe(202);
    expect((await processed(ws.auth, event.messageId as string)).event_id).toBe('track/user-checkout');
  });

  it('counts the catalog per event id with the latest sample', async () => {
    const ws = await herald.newWorkspace();
    const ids: string[] = [];
    for (const plan of ['a', 'b', 'c']) {
      const e = { type: 'track', event: 'Plan Chosen', userId: 'u2', messageId: randomUUID(), properties: { plan } };
      ids.push(e.messageId);
      await herald.http.post('/inbound/rudderstack').set(ws.auth).send(e).expect(202);
      await processed(ws.auth, e.messageId);
    }
    const page = { type: 'page', name: 'Pricing', anonymousId: 'anon-1', messageId: randomUUID() };
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(page).expect(202);
    await processed(ws.auth, page.messageId);
    const catalog = await herald.http.get('/inbound/events').set(ws.auth).expect(200);
    const byId = Object.fromEntries(catalog.body.items.map((i: any) => [i.event_id, i]));
    expect(byId['track/Plan Chosen'].count).toBe(3);
    expect(byId['track/Plan Chosen'].sample.properties.plan).toBe('c');
    expect(byId['page/Pricing'].count).toBe(1);
    const filtered = await herald.http.get('/inbound/events/log').set(ws.auth).query({ event: 'Plan Chosen' }).expect(200);
    expect(filtered.body.items.map((i: any) => i.message_id)).toEqual([...ids].reverse());
  });
});

describe('batches and arrays', () => {
  it('accepts { batch: [...] } and a JSON array, one result per event', async () => {
    const ws = await herald.newWorkspace();
    const a = { type: 'identify', userId: 'b1', messageId: randomUUID(), traits: { n: 1 } };
    const b = { type: 'track', userId: 'b1', event: 'Clicked', messageId: randomUUID() };
    const batch = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch: [a, b] });
    expect(batch.status).toBe(202);
    expect(batch.body).toEqual({ results: [{ messageId: a.messageId }, { messageId: b.messageId }] });
    const c = { type: 'identify', userId: 'b2', messageId: randomUUID(), traits: { n: 2 } };
    const array = await herald.http.post('/inbound/rudderstack').set(ws.auth).send([c, a]);
    expect(array.status).toBe(202);
    expect(array.body).toEqual({ results: [{ messageId: c.messageId }, { messageId: a.messageId, duplicate: true }] });
    await processed(ws.auth, c.messageId);
    expect((await herald.http.get('/profiles/b2').set(ws.auth)).body.profile).toEqual({ n: 2 });
  });

  it('rejects the whole batch when one event is invalid, naming its position', async () => {
    const ws = await herald.newWorkspace();
    const good = { type: 'track', userId: 'x', event: 'E', messageId: randomUUID() };
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch: [good, { type: 'track', userId: 'x' }] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'batch[1].event is required for track', type: 'invalid_request_error' });
    expect(await logEntry(ws.auth, good.messageId)).toBeUndefined();
  });
});

describe('validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no type', { userId: 'u' }, 'type is required'],
    ['unknown type', { type: 'explode', userId: 'u' }, 'type must be one of identify, track, group, page, screen, alias (got "explode")'],
    ['no user', { type: 'track', event: 'E' }, 'userId or anonymousId is required'],
    ['identify without traits', { type: 'identify', userId: 'u' }, 'traits (or context.traits) is required for identify'],
    ['track without event', { type: 'track', userId: 'u' }, 'event is required for track'],
    ['group without groupId', { type: 'group', userId: 'u', traits: {} }, 'groupId is required for group'],
    ['userId of the wrong type', { type: 'track', userId: { id: 1 }, event: 'E' }, 'userId must be a string'],
    ['properties not an object', { type: 'track', userId: 'u', event: 'E', properties: [1] }, 'properties must be a JSON object'],
    ['a string body', 'hello', 'body must be a JSON object, a JSON array of events, or { "batch": [...] }'],
    ['batch not an array', { batch: 3 }, 'batch must be an array of events'],
    ['empty batch', { batch: [] }, 'batch must contain at least one event'],
  ];
  it.each(cases)('%s → 400 naming the field', async (_name, body, message) => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json').send(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message, type: 'invalid_request_error' });
  });

  it('accepts a case-insensitive type and generates a missing messageId', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'TRACK', anonymousId: 'a1', event: 'Seen', extra: { kept: true } });
    expect(res.status).toBe(202);
    expect(res.body.messageId).toMatch(/^[0-9a-f-]{36}$/);
    const entry = await processed(ws.auth, res.body.messageId);
    expect(entry).toMatchObject({ type: 'track', user_id: 'a1' });
    expect(entry.body.extra).toEqual({ kept: true });
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const ws = await herald.newWorkspace();
    const bad = await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json').send('{"type": "track",');
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('invalid_request_error');
    expect(bad.body.message).toMatch(/^body is not valid JSON/);
    const huge = JSON.stringify({ type: 'track', userId: 'u', event: 'E', properties: { blob: 'x'.repeat(4 * 1024 * 1024) } });
    const tooLarge = await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json').send(huge);
    expect(tooLarge.status).toBe(413);
  });

  it('never lets __proto__ reach a prototype, and drops it from what is stored', async () => {
    const ws = await herald.newWorkspace();
    const messageId = randomUUID();
    const raw = `{"type":"identify","userId":"p1","messageId":"${messageId}","traits":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"ok":1}}`;
    await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json').send(raw).expect(202);
    await processed(ws.auth, messageId);
    const profile = (await herald.http.get('/profiles/p1').set(ws.auth)).body.profile;
    expect(profile.ok).toBe(1);
    expect(Object.prototype.hasOwnProperty.call(profile, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers a lone surrogate escape and an unsupported charset with 400, not 500', async () => {
    const ws = await herald.newWorkspace();
    const surrogate = await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json').send('{"type":"track","userId":"\\udc00","event":"E"}');
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.message).toMatch(/lone surrogate/);
    const profile = await herald.http.post('/profiles/u1').set(ws.auth).set('Content-Type', 'application/json').send('{"profile":{"":"\\udfff"}}');
    expect(profile.status).toBe(400);
    const latin1 = await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json; charset=latin1').send('{"type":"track","userId":"u","event":"E"}');
    expect(latin1.status).toBe(400);
    expect(latin1.body.message).toMatch(/^body must be UTF-8 JSON/);
    expect((await herald.http.get('/inbound/events/log').set(ws.auth)).body.items).toEqual([]);
  });

  it('accepts a valid event whose inline automation cannot run, and logs it failed with the reason (RudderStack drops 4xx for good)', async () => {
    const ws = await herald.newWorkspace();
    const cases = [
      { automation: { steps: [{ action: 'exit' }], cancelation_token: '${}' }, error: /^properties\.courier\.automation\.cancelation_token: / },
      { automation: { steps: [{ action: 'delay' }] }, error: /automation\.steps\[0\]\.duration/ },
      { automation: 'not an object', error: /^properties\.courier\.automation must be a JSON object/ },
    ];
    for (const c of cases) {
      const messageId = randomUUID();
      const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'track', userId: 'u', event: 'Inl', messageId, properties: { courier: { automation: c.automation } } });
      expect(res.status).toBe(202);
      const entry = await processed(ws.auth, messageId);
      expect(entry.status).toBe('failed');
      expect(entry.error).toMatch(c.error);
      expect(entry.run_ids).toEqual([]);
    }
  });

  it('answers a NUL character that Postgres cannot store with 400, not 500', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).set('Content-Type', 'application/json')
      .send('{"type":"track","userId":"u","event":"E","properties":{"s":"a\\u0000b"}}');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/\\u0000/);
  });
});

describe('rejections', () => {
  it('counts what was refused as not an event at all, per workspace and reason, with a sample; a bad key counts nothing', async () => {
    const ws = await herald.newWorkspace();
    const other = await herald.newWorkspace();
    const post = (body: string, auth: Record<string, string> = ws.auth) => herald.http.post('/inbound/rudderstack').set(auth).set('Content-Type', 'application/json').send(body);
    expect((await post('{"type": "track", "userId": ')).status).toBe(400);
    expect((await post(JSON.stringify({ userId: 'u1', event: 'No Type' }))).status).toBe(400);
    expect((await post(JSON.stringify({ type: 'track', event: 'Anon' }))).status).toBe(400);
    expect((await post(JSON.stringify({ batch: [{ type: 'track', userId: 'ok', event: 'x' }, { type: 'track', event: 'Anon 2' }] }))).status).toBe(400);
    expect((await post(JSON.stringify({ type: 'shout', userId: 'u1' }))).status).toBe(400);
    // The key is checked before the body is read: a wrong key is a 401 and counts nothing.
    expect((await post('{', { Authorization: 'Bearer not-a-key' })).status).toBe(401);

    const rejections = await waitUntil(async () => {
      const res = await herald.http.get('/inbound/rejections').set(ws.auth);
      return res.status === 200 && res.body.total === 5 ? res.body : undefined;
    }, { what: 'five rejections counted' });
    const byReason = Object.fromEntries(rejections.items.map((r: { reason: string; count: number }) => [r.reason, r.count]));
    expect(byReason).toEqual({
      'body is not valid JSON': 1,
      'type is required': 1,
      'userId or anonymousId is required': 2,
      'type must be one of identify, track, group, page, screen, alias': 1,
    });
    const anon = rejections.items.find((r: { reason: string }) => r.reason === 'userId or anonymousId is required');
    expect(anon.sample).toContain('batch[1].userId or anonymousId is required');
    expect(anon.sample).toContain('Anon 2');
    // Nothing of it reached the event log, and the other workspace counted nothing.
    expect((await herald.http.get('/inbound/events/log').set(ws.auth)).body.items).toEqual([]);
    expect((await herald.http.get('/inbound/rejections').set(other.auth)).body).toMatchObject({ items: [], total: 0 });
    // Pages like every list.
    const first = await herald.http.get('/inbound/rejections').set(ws.auth).query({ limit: 2 });
    expect(first.body.items).toHaveLength(2);
    const second = await herald.http.get('/inbound/rejections').set(ws.auth).query({ limit: 2, cursor: first.body.cursor });
    expect(second.body.items).toHaveLength(2);
    expect(new Set([...first.body.items, ...second.body.items].map((r: { reason: string }) => r.reason)).size).toBe(4);
  });
});

describe('auth', () => {
  it('401 without a key or with a wrong key; Basic auth with the key as password works', async () => {
    const ws = await herald.newWorkspace();
    const event = { type: 'track', userId: 'u', event: 'E' };
    const none = await herald.http.post('/inbound/rudderstack').send(event);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ message: 'missing API key: send Authorization: Bearer <key>', type: 'authentication_error' });
    const wrong = await herald.http.post('/inbound/rudderstack').set('Authorization', 'Bearer hk_wrong').send(event);
    expect(wrong.status).toBe(401);
    expect(wrong.body.type).toBe('authentication_error');
    const basic = await herald.http.post('/inbound/rudderstack').set('Authorization', `Basic ${Buffer.from(`:${ws.key}`).toString('base64')}`).send(event);
    expect(basic.status).toBe(202);
    const basicUser = await herald.http.post('/inbound/rudderstack').set('Authorization', `Basic ${Buffer.from(`${ws.key}:`).toString('base64')}`).send(event);
    expect(basicUser.status).toBe(202);
  });

  it('keeps health public and everything else guarded', async () => {
    await herald.http.get('/health').expect(200, { status: 'ok' });
    await herald.http.get('/inbound/events').expect(401);
    await herald.http.get('/profiles/x').expect(401);
  });
});

describe('idempotency', () => {
  it('a sequential repeat answers 202 duplicate and starts nothing', async () => {
    const ws = await herald.newWorkspace();
    const event = { type: 'identify', userId: 'd1', messageId: randomUUID(), traits: { v: 1 } };
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event).expect(202, { messageId: event.messageId });
    await processed(ws.auth, event.messageId);
    const repeat = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ ...event, traits: { v: 2 } });
    expect(repeat.status).toBe(202);
    expect(repeat.body).toEqual({ messageId: event.messageId, duplicate: true });
    expect((await herald.http.get('/profiles/d1').set(ws.auth)).body.profile).toEqual({ v: 1 });
    expect((await logEntry(ws.auth, event.messageId))!.duplicate_count).toBe(1);
  });

  it('50 concurrent posts of one messageId are processed once; exactly one answer is not a duplicate', async () => {
    const ws = await herald.newWorkspace();
    const event = { type: 'track', userId: 'c1', event: 'Storm', messageId: randomUUID() };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => herald.http.post('/inbound/rudderstack').set(ws.auth).send(event)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(202));
    expect(responses.filter((r) => !r.body.duplicate)).toHaveLength(1);
    expect(responses.every((r) => r.body.messageId === event.messageId)).toBe(true);
    const entry = await processed(ws.auth, event.messageId);
    expect(entry.duplicate_count).toBe(49);
    const [{ n }] = await herald.db.query('SELECT count(*)::int AS n FROM inbound_events WHERE workspace_id = $1', [ws.id]);
    expect(n).toBe(1);
    const catalog = await herald.http.get('/inbound/events').set(ws.auth);
    expect(catalog.body.items[0].count).toBe(1);
  });

  it('concurrent copies of one batch (with a repeat inside) accept each messageId exactly once', async () => {
    const ws = await herald.newWorkspace();
    const events = Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: `bu${i % 3}`, event: 'Batched', messageId: randomUUID() }));
    const batch = [...events, events[0]];
    const responses = await Promise.all(Array.from({ length: 5 }, () => herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch })));
    expect(responses.map((r) => r.status)).toEqual(Array(5).fill(202));
    const firstAnswers = responses.flatMap((r) => r.body.results).filter((x: any) => !x.duplicate).map((x: any) => x.messageId);
    expect(firstAnswers.sort()).toEqual(events.map((e) => e.messageId).sort());
    for (const r of responses) expect(r.body.results[20]).toEqual({ messageId: events[0].messageId, duplicate: true });
    const log = await waitUntil(async () => {
      const items = (await herald.http.get('/inbound/events/log').set(ws.auth).query({ limit: 100 })).body.items as any[];
      return items.length === 20 && items.every((i) => i.status !== 'pending') ? items : undefined;
    }, { what: '20 events processed' });
    expect(log.reduce((n: number, i: any) => n + i.duplicate_count, 0)).toBe(5 * 21 - 20);
  });

  it('the same messageId in two workspaces is two events', async () => {
    const a = await herald.newWorkspace();
    const b = await herald.newWorkspace();
    const event = { type: 'track', userId: 'u', event: 'Shared', messageId: randomUUID() };
    await herald.http.post('/inbound/rudderstack').set(a.auth).send(event).expect(202, { messageId: event.messageId });
    await herald.http.post('/inbound/rudderstack').set(b.auth).send(event).expect(202, { messageId: event.messageId });
  });
});

describe('the dispatchers in Temporal', () => {
  it('process the ledger in per-shard workflows with readable ids and the workspace search attribute, not a workflow per event', async () => {
    const ws = await herald.newWorkspace();
    const events = Array.from({ length: 30 }, (_, i) => ({ type: 'track', userId: `sa-user-${i}`, event: 'Signed Up', messageId: randomUUID() }));
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch: events }).expect(202);
    for (const e of events) await processed(ws.auth, e.messageId);
    const workflows = await waitUntil(async () => {
      const found = [];
      for await (const wf of herald.temporal.client.workflow.list({ query: `HeraldWorkspace = '${ws.id}'` })) found.push(wf);
      return found.length ? found : undefined;
    }, { what: 'the dispatchers to be visible' });
    expect(workflows.every((w) => w.type === 'dispatcher' && /^dispatch:ws-[^:]+:\d+$/.test(w.workflowId))).toBe(true);
    expect(workflows.length).toBeLessThanOrEqual(herald.config.inbound.shards);
  });
});

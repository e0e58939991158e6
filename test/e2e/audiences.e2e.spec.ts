import { randomUUID } from 'node:crypto';
import { publishedTemplate, runReaches } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

// Small recompute pages and runs, so a few dozen profiles take several pages and continue-as-new.
const PAGE_SIZE = 7;
const PAGES_PER_RUN = 2;

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald({ env: { HERALD_AUDIENCE_PAGE_SIZE: String(PAGE_SIZE), HERALD_AUDIENCE_PAGES_PER_RUN: String(PAGES_PER_RUN) } });
});
afterAll(() => herald?.stop());

type Auth = Record<string, string>;
const enc = encodeURIComponent;
const PRO = ['profile.plan', 'is equal', 'pro'];
/** `depth` levels of { AND: [...] } around PRO. */
const nested = (depth: number): unknown => (depth === 0 ? PRO : { AND: [nested(depth - 1)] });

async function putAudience(auth: Auth, id: string, body: Record<string, unknown>) {
  const res = await herald.http.put(`/audiences/${enc(id)}`).set(auth).send(body);
  if (res.status !== 200) throw new Error(`PUT /audiences/${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The audience once its recompute has finished. */
async function ready(auth: Auth, id: string) {
  return waitUntil(async () => {
    const res = await herald.http.get(`/audiences/${enc(id)}`).set(auth);
    return res.status === 200 && res.body.status === 'READY' ? res.body : undefined;
  }, { timeoutMs: 30_000, what: `audience ${id} READY` });
}

async function members(auth: Auth, id: string): Promise<string[]> {
  const res = await herald.http.get(`/audiences/${enc(id)}/members`).set(auth).query({ limit: 500 });
  if (res.status !== 200) throw new Error(`members of ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items.map((m: { user_id: string }) => m.user_id);
}

async function identify(auth: Auth, userId: string, traits: Record<string, unknown>) {
  const messageId = randomUUID();
  await herald.http.post('/inbound/rudderstack').set(auth).send({ type: 'identify', userId, messageId, traits }).expect(202);
  return messageId;
}

/** The log entry of an event once the dispatcher processed it. */
async function ingested(auth: Auth, messageId: string) {
  return waitUntil(async () => {
    const items = (await herald.http.get('/inbound/events/log').set(auth).query({ limit: 500 })).body.items as any[];
    const entry = items.find((e) => e.message_id === messageId);
    return entry && entry.status !== 'pending' ? entry : undefined;
  }, { what: `processing of ${messageId}` });
}

/** Logged audience events (`track/audience/<id>/entered|exited`), oldest first. */
async function audienceEvents(auth: Auth, id: string, kind: 'entered' | 'exited') {
  const res = await herald.http.get('/inbound/events/log').set(auth).query({ event: `track/audience/${id}/${kind}`, limit: 500 });
  expect(res.status).toBe(200);
  return (res.body.items as any[]).reverse();
}

/** Waits until the audience's members are exactly `expected` (order-free). */
async function membersAre(auth: Auth, id: string, expected: string[]) {
  const want = [...expected].sort();
  await waitUntil(async () => JSON.stringify((await members(auth, id)).sort()) === JSON.stringify(want), { what: `members of ${id} to be ${JSON.stringify(want)}` });
}

describe('audiences: membership follows profile changes', () => {
  it('identify events move users in and out; entered/exited events are logged once each and processed', async () => {
    const ws = await herald.newWorkspace();
    const created = await putAudience(ws.auth, 'pro', { name: 'Pro users', filter: PRO });
    expect(created).toMatchObject({ id: 'pro', name: 'Pro users', filter: PRO, status: 'COMPUTING', member_count: 0, progress: { processed: 0, total: 0 } });
    await ready(ws.auth, 'pro');

    await ingested(ws.auth, await identify(ws.auth, 'ann', { plan: 'pro', name: 'Ann' }));
    await ingested(ws.auth, await identify(ws.auth, 'bob', { plan: 'free' }));
    // Applied in the identify's own batch transaction.
    expect(await members(ws.auth, 'pro')).toEqual(['ann']);
    expect((await herald.http.get('/audiences/pro').set(ws.auth)).body.member_count).toBe(1);

    const [entered] = await waitUntil(async () => {
      const events = await audienceEvents(ws.auth, 'pro', 'entered');
      return events.length && events.every((e) => e.status !== 'pending') ? events : undefined;
    }, { what: 'the entered event processed' });
    expect(entered).toMatchObject({ type: 'track', event_id: 'track/audience/pro/entered', user_id: 'ann', status: 'unmapped' });
    expect(entered.message_id).toMatch(/^audience:pro:ann:entered:\d+$/);
    expect(entered.body).toMatchObject({ type: 'track', event: 'audience/pro/entered', userId: 'ann', properties: { audience_id: 'pro' } });

    // A trait that does not change membership writes no event; a plan change moves ann out.
    await ingested(ws.auth, await identify(ws.auth, 'ann', { name: 'Ann B.' }));
    await ingested(ws.auth, await identify(ws.auth, 'ann', { plan: 'free' }));
    expect(await members(ws.auth, 'pro')).toEqual([]);
    const exited = await waitUntil(async () => {
      const events = await audienceEvents(ws.auth, 'pro', 'exited');
      return events.length && events.every((e) => e.status !== 'pending') ? events : undefined;
    }, { what: 'the exited event processed' });
    expect(exited).toHaveLength(1);
    // The exit names the membership it ends (same start time as its entry).
    expect(exited[0].message_id).toBe(entered.message_id.replace(':entered:', ':exited:'));
    expect(await audienceEvents(ws.auth, 'pro', 'entered')).toHaveLength(1);

    // Back in: a second membership, a new entered event.
    await ingested(ws.auth, await identify(ws.auth, 'ann', { plan: 'pro' }));
    expect(await members(ws.auth, 'pro')).toEqual(['ann']);
    const again = await audienceEvents(ws.auth, 'pro', 'entered');
    expect(again).toHaveLength(2);
    expect(again[1].message_id).not.toBe(again[0].message_id);
  });

  it('profile API writes (merge, replace, patch) and deletes move users in and out at once', async () => {
    const ws = await herald.newWorkspace();
    await putAudience(ws.auth, 'pro-no', { name: 'Pro in Norway', filter: { AND: [PRO, ['profile.country', 'is equal', 'NO']] } });
    await ready(ws.auth, 'pro-no');

    await herald.http.post('/profiles/kari').set(ws.auth).send({ profile: { plan: 'pro', country: 'SE' } }).expect(200);
    expect(await members(ws.auth, 'pro-no')).toEqual([]);
    await herald.http.post('/profiles/kari').set(ws.auth).send({ profile: { country: 'NO' } }).expect(200);
    expect(await members(ws.auth, 'pro-no')).toEqual(['kari']);
    await herald.http.put('/profiles/kari').set(ws.auth).send({ profile: { country: 'NO' } }).expect(200);
    expect(await members(ws.auth, 'pro-no')).toEqual([]);
    await herald.http.patch('/profiles/kari').set(ws.auth).send({ patch: [{ op: 'add', path: '/plan', value: 'pro' }] }).expect(200);
    expect(await members(ws.auth, 'pro-no')).toEqual(['kari']);
    await herald.http.delete('/profiles/kari').set(ws.auth).expect(204);
    expect(await members(ws.auth, 'pro-no')).toEqual([]);

    const entered = await audienceEvents(ws.auth, 'pro-no', 'entered');
    const exited = await audienceEvents(ws.auth, 'pro-no', 'exited');
    expect(entered.map((e) => e.user_id)).toEqual(['kari', 'kari']);
    expect(exited.map((e) => e.user_id)).toEqual(['kari', 'kari']);
    // The API woke the dispatcher: the events get processed.
    await waitUntil(async () => (await audienceEvents(ws.auth, 'pro-no', 'exited')).every((e) => e.status !== 'pending'), { what: 'exited events processed' });
  });

  it('filters on tenant membership follow the tenants API and group events', async () => {
    const ws = await herald.newWorkspace();
    await putAudience(ws.auth, 'acme', { name: 'Acme people', filter: ['tenants', 'contains', 'acme'] });
    await putAudience(ws.auth, 'acme-pro', { filter: { AND: [['tenants', 'contains', 'acme'], PRO] } });
    await ready(ws.auth, 'acme');
    await ready(ws.auth, 'acme-pro');
    await herald.http.put('/tenants/acme').set(ws.auth).send({ name: 'Acme' }).expect(200);
    await herald.http.post('/profiles/tia').set(ws.auth).send({ profile: { plan: 'pro' } }).expect(200);
    await herald.http.post('/profiles/tom').set(ws.auth).send({ profile: { plan: 'free' } }).expect(200);

    await herald.http.put('/users/tia/tenants/acme').set(ws.auth).send({}).expect(200);
    expect(await members(ws.auth, 'acme')).toEqual(['tia']);
    expect(await members(ws.auth, 'acme-pro')).toEqual(['tia']);
    await herald.http.delete('/users/tia/tenants/acme').set(ws.auth).expect(204);
    expect(await members(ws.auth, 'acme')).toEqual([]);
    expect(await members(ws.auth, 'acme-pro')).toEqual([]);

    // A RudderStack group call adds the membership in the dispatcher's batch.
    const messageId = randomUUID();
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'group', userId: 'tom', groupId: 'acme', messageId, traits: {} }).expect(202);
    await ingested(ws.auth, messageId);
    expect(await members(ws.auth, 'acme')).toEqual(['tom']);
    expect(await members(ws.auth, 'acme-pro')).toEqual([]);
    await herald.http.put('/users/tia/tenants/acme').set(ws.auth).send({}).expect(200);
    await membersAre(ws.auth, 'acme', ['tia', 'tom']);

    // Deleting the tenant removes its memberships, and so its members from the audiences.
    await herald.http.delete('/tenants/acme').set(ws.auth).expect(204);
    expect(await members(ws.auth, 'acme')).toEqual([]);
    expect(await members(ws.auth, 'acme-pro')).toEqual([]);
    expect((await audienceEvents(ws.auth, 'acme', 'exited')).map((e) => e.user_id).sort()).toEqual(['tia', 'tia', 'tom']);
  });

  it('entered and exited are catalogued like events and trigger linked automations', async () => {
    const ws = await herald.newWorkspace();
    await putAudience(ws.auth, 'vip', { name: 'VIPs', filter: ['profile.spend', 'greater than', 1000] });
    await ready(ws.auth, 'vip');
    const welcome = await publishedTemplate(herald, ws.auth, { name: 'VIP welcome', steps: [{ action: 'send', template: 'vip-welcome' }] });
    const goodbye = await publishedTemplate(herald, ws.auth, { name: 'VIP goodbye', steps: [{ action: 'send', template: 'vip-goodbye' }] });
    await herald.http.put(`/inbound/events/${enc('track/audience/vip/entered')}/automations/${welcome}`).set(ws.auth).expect(200);
    await herald.http.put(`/inbound/events/${enc('track/audience/vip/exited')}/automations/${goodbye}`).set(ws.auth).expect(200);

    await ingested(ws.auth, await identify(ws.auth, 'vera', { spend: 5000 }));
    const [entered] = await waitUntil(async () => {
      const events = await audienceEvents(ws.auth, 'vip', 'entered');
      return events[0]?.status === 'processed' ? events : undefined;
    }, { what: 'the entered event to start its run' });
    expect(entered.run_ids).toHaveLength(1);
    const run = await runReaches(herald, ws.auth, entered.run_ids[0], ['PROCESSED']);
    expect(run).toMatchObject({ recipient: 'vera', template_id: welcome, source: 'rudderstack/track/audience/vip/entered' });
    expect(run.context.data).toMatchObject({ event: 'audience/vip/entered', userId: 'vera', properties: { audience_id: 'vip' } });
    expect(run.context.profile).toMatchObject({ spend: 5000 });

    await herald.http.post('/profiles/vera').set(ws.auth).send({ profile: { spend: 10 } }).expect(200);
    const [exited] = await waitUntil(async () => {
      const events = await audienceEvents(ws.auth, 'vip', 'exited');
      return events[0]?.status === 'processed' ? events : undefined;
    }, { what: 'the exited event to start its run' });
    expect((await runReaches(herald, ws.auth, exited.run_ids[0], ['PROCESSED'])).template_id).toBe(goodbye);

    const catalog = (await herald.http.get('/inbound/events').set(ws.auth)).body.items as any[];
    const entry = (id: string) => catalog.find((c) => c.event_id === id);
    expect(entry('track/audience/vip/entered')).toMatchObject({ type: 'track', count: 1, automations: [{ target: welcome, type: 'template', name: 'VIP welcome' }] });
    expect(entry('track/audience/vip/exited')).toMatchObject({ type: 'track', count: 1, automations: [{ target: goodbye, type: 'template', name: 'VIP goodbye' }] });
  });
});

describe('audiences: recompute on a filter change', () => {
  it('recomputes over every profile in pages (continuing as new), with progress reaching total and events for the differences', async () => {
    const ws = await herald.newWorkspace();
    const N = 40;
    const batch = Array.from({ length: N }, (_, i) => ({ type: 'identify', userId: `u${String(i).padStart(2, '0')}`, messageId: randomUUID(), traits: { n: i, plan: i % 2 ? 'pro' : 'free' } }));
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch }).expect(202);
    await ingested(ws.auth, batch[N - 1].messageId);
    await waitUntil(async () => Number((await herald.db.query('SELECT count(*) AS n FROM profiles WHERE workspace_id = $1', [ws.id]))[0].n) === N, { what: 'profiles' });

    const initial = await putAudience(ws.auth, 'big', { name: 'Big n', filter: ['profile.n', 'greater than or equal', 30] });
    expect(initial).toMatchObject({ status: 'COMPUTING', progress: { processed: 0, total: N } });
    const first = await ready(ws.auth, 'big');
    expect(first).toMatchObject({ member_count: 10, progress: { processed: N, total: N } });
    expect(await members(ws.auth, 'big')).toEqual(Array.from({ length: 10 }, (_, i) => `u${30 + i}`));
    expect(await audienceEvents(ws.auth, 'big', 'entered')).toHaveLength(10);

    // A name-only change keeps the members and starts nothing.
    expect(await putAudience(ws.auth, 'big', { name: 'Renamed', filter: ['profile.n', 'greater than or equal', 30] })).toMatchObject({ status: 'READY', name: 'Renamed', member_count: 10 });

    // The new filter: n in [25, 35) — u25..u29 enter, u35..u39 exit, u30..u34 stay.
    const changed = await putAudience(ws.auth, 'big', { name: 'Middle', filter: { AND: [['profile.n', 'greater than or equal', 25], ['profile.n', 'less than', 35]] } });
    expect(changed).toMatchObject({ status: 'COMPUTING', progress: { processed: 0, total: N } });
    const seen: number[] = [];
    const done = await waitUntil(async () => {
      const res = await herald.http.get('/audiences/big').set(ws.auth);
      if (res.body.progress) seen.push(res.body.progress.processed);
      return res.body.status === 'READY' ? res.body : undefined;
    }, { intervalMs: 20, timeoutMs: 30_000, what: 'recompute' });
    expect(done).toMatchObject({ name: 'Middle', member_count: 10, progress: { processed: N, total: N } });
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // progress only grows
    expect(await members(ws.auth, 'big')).toEqual(Array.from({ length: 10 }, (_, i) => `u${25 + i}`));
    const entered = (await audienceEvents(ws.auth, 'big', 'entered')).map((e) => e.user_id);
    const exited = (await audienceEvents(ws.auth, 'big', 'exited')).map((e) => e.user_id);
    expect(entered.slice(10).sort()).toEqual(['u25', 'u26', 'u27', 'u28', 'u29']);
    expect(exited.sort()).toEqual(['u35', 'u36', 'u37', 'u38', 'u39']);

    // 40 profiles are 6 pages of 7 at 2 pages per run: the run that finished was continued as new (twice).
    const handle = herald.temporal.client.workflow.getHandle(`audience-recompute:${ws.id}:big`);
    expect(await handle.result()).toEqual({ status: 'done', processed: N });
    const history = await handle.fetchHistory();
    expect(history.events?.[0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
  });

  it('a newer filter supersedes a recompute in progress; the end state follows the newest', async () => {
    const ws = await herald.newWorkspace();
    const batch = Array.from({ length: 30 }, (_, i) => ({ type: 'identify', userId: `s${String(i).padStart(2, '0')}`, messageId: randomUUID(), traits: { n: i } }));
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch }).expect(202);
    await ingested(ws.auth, batch[29].messageId);
    await waitUntil(async () => Number((await herald.db.query('SELECT count(*) AS n FROM profiles WHERE workspace_id = $1', [ws.id]))[0].n) === 30, { what: 'profiles' });

    await putAudience(ws.auth, 'moving', { filter: ['profile.n', 'less than', 10] });
    await putAudience(ws.auth, 'moving', { filter: ['profile.n', 'greater than or equal', 20] });
    const last = await putAudience(ws.auth, 'moving', { filter: ['profile.n', 'greater than or equal', 28] });
    expect(last.status).toBe('COMPUTING');
    expect(await ready(ws.auth, 'moving')).toMatchObject({ member_count: 2, filter: ['profile.n', 'greater than or equal', 28] });
    expect(await members(ws.auth, 'moving')).toEqual(['s28', 's29']);
    // Only the newest filter was computed: nobody entered and left in between.
    expect((await audienceEvents(ws.auth, 'moving', 'entered')).map((e) => e.user_id)).toEqual(['s28', 's29']);
    expect(await audienceEvents(ws.auth, 'moving', 'exited')).toEqual([]);
  });
});

describe('audiences: API', () => {
  it('lists and pages audiences and members; forged cursors are 400s; unknown ids 404', async () => {
    const ws = await herald.newWorkspace();
    for (const id of ['a.one', 'b:two', 'c-three']) await putAudience(ws.auth, id, { name: id, filter: true });
    for (let i = 0; i < 12; i++) await herald.http.post(`/profiles/m${String(i).padStart(2, '0')}`).set(ws.auth).send({ profile: { i } }).expect(200);

    const page1 = await herald.http.get('/audiences').set(ws.auth).query({ limit: 2 });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((a: any) => a.id)).toEqual(['a.one', 'b:two']);
    expect(page1.body.has_more).toBe(true);
    const page2 = await herald.http.get('/audiences').set(ws.auth).query({ limit: 2, cursor: page1.body.cursor });
    expect(page2.body).toMatchObject({ items: [{ id: 'c-three' }], has_more: false, cursor: null });

    await ready(ws.auth, 'a.one');
    await membersAre(ws.auth, 'a.one', Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`));
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await herald.http.get('/audiences/a.one/members').set(ws.auth).query({ limit: 5, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      for (const m of res.body.items) {
        expect(Object.keys(m).sort()).toEqual(['entered_at', 'user_id']);
        expect(Number.isNaN(Date.parse(m.entered_at))).toBe(false);
        ids.push(m.user_id);
      }
      if (!res.body.has_more) break;
      cursor = res.body.cursor;
    }
    expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`));

    const forged = ['nope', Buffer.from('[1]').toString('base64url'), Buffer.from('["a","b"]').toString('base64url'), Buffer.from('{"x":1}').toString('base64url'), Buffer.from('["\\u0000"]').toString('base64url')];
    for (const c of forged) {
      expect((await herald.http.get('/audiences').set(ws.auth).query({ cursor: c })).status).toBe(400);
      expect((await herald.http.get('/audiences/a.one/members').set(ws.auth).query({ cursor: c })).status).toBe(400);
    }
    expect((await herald.http.get('/audiences').set(ws.auth).query({ limit: 0 })).status).toBe(400);

    expect((await herald.http.get('/audiences/missing').set(ws.auth)).status).toBe(404);
    expect((await herald.http.get('/audiences/missing/members').set(ws.auth)).status).toBe(404);
    expect((await herald.http.delete('/audiences/missing').set(ws.auth)).status).toBe(404);
    // Another workspace sees none of them.
    const other = await herald.newWorkspace();
    expect((await herald.http.get('/audiences/a.one').set(other.auth)).status).toBe(404);
    expect((await herald.http.get('/audiences').set(other.auth)).body.items).toEqual([]);

    await herald.http.delete('/audiences/b:two').set(ws.auth).expect(204);
    expect((await herald.http.get('/audiences/b:two').set(ws.auth)).status).toBe(404);
    expect((await herald.http.get('/audiences').set(ws.auth)).body.items.map((a: any) => a.id)).toEqual(['a.one', 'c-three']);
    // A deleted audience no longer takes part in refreshes.
    await herald.http.post('/profiles/m99').set(ws.auth).send({ profile: {} }).expect(200);
    expect((await herald.db.query('SELECT count(*)::int AS n FROM audience_members WHERE workspace_id = $1 AND audience_id = $2', [ws.id, 'b:two']))[0].n).toBe(0);
  });

  it('refuses bad ids, bodies and filters with a 400 naming the problem', async () => {
    const ws = await herald.newWorkspace();
    const bad: Array<[string, unknown, RegExp]> = [
      ['ok', { name: 'x' }, /filter is required/],
      ['ok', { filter: ['profile.plan', 'equals', 'pro'] }, /filter: unknown operator "equals"/],
      ['ok', { filter: { AND: [PRO, ['plan', 'is equal', 'pro']] } }, /filter\.AND\[1\]: path "plan" must start with "profile\."/],
      ['ok', { filter: { AND: [PRO], OR: [] } }, /filter: a condition object must have exactly one key/],
      ['ok', { filter: { OR: 'x' } }, /filter\.OR: must be an array/],
      ['ok', { filter: 'profile.plan = "pro"' }, /filter: expression: unsupported construct assignment/],
      ['ok', { filter: ['profile.', 'exists'] }, /filter: invalid path/],
      ['ok', { filter: ['profile.plan', 'is equal'] }, /needs exactly one value/],
      ['ok', { filter: 42 }, /filter: a condition must be/],
      ['ok', { filter: PRO, name: 7 }, /name must be a non-empty string/],
      ['ok', { filter: PRO, name: 'x'.repeat(201) }, /name must be a non-empty string/],
      ['ok', { filter: nested(17) }, /nested too deeply/],
      ['ok', { filter: ['profile.bio', 'contains', 'x'.repeat(20_000)] }, /filter is too large/],
      ['bad id!', { filter: PRO }, /audience id must be letters, digits/],
      ['x'.repeat(201), { filter: PRO }, /audience id must be/],
    ];
    for (const [id, body, message] of bad) {
      const res = await herald.http.put(`/audiences/${enc(id)}`).set(ws.auth).send(body as object);
      expect({ id, body, status: res.status }).toEqual({ id, body, status: 400 });
      expect(res.body.message).toMatch(message);
    }
    // What Postgres cannot store is a 400 too, and an id it cannot look up a 4xx, never a 500.
    expect((await herald.http.put('/audiences/ok').set(ws.auth).send({ filter: ['profile.x', 'is equal', 'a\u0000b'] })).status).toBe(400);
    expect((await herald.http.put('/audiences/ok').set(ws.auth).send({ name: 'a\u0000b', filter: PRO })).status).toBe(400);
    for (const path of ['/audiences/%00', '/audiences/a%00b/members', `/audiences/${'x'.repeat(5000)}`]) {
      const res = await herald.http.get(path).set(ws.auth);
      expect({ path, status: res.status >= 400 && res.status < 500 }).toEqual({ path, status: true });
    }
    expect((await herald.http.delete('/audiences/%00').set(ws.auth)).status).toBeLessThan(500);
    const array = await herald.http.put('/audiences/ok').set(ws.auth).send([PRO]);
    expect(array.status).toBe(400);
    expect(array.body.message).toMatch(/body must be/);
    expect((await herald.http.get('/audiences').set(ws.auth)).body.items).toEqual([]);
    // Expressions and booleans over the scope are fine.
    expect((await putAudience(ws.auth, 'expr', { filter: 'profile.age >= 18 && tenants.length > 0' })).status).toBe('COMPUTING');
  });
});

import { randomUUID } from 'node:crypto';
import { derivedUuid } from '../../src/common/ids';
import { invokeAdHoc, runReaches } from '../support/automations';
import { startDataPlaneSink } from '../support/data-plane-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

type Auth = Record<string, string>;
const validKeys = new Set<string>();
let sink: Awaited<ReturnType<typeof startDataPlaneSink>>;
let herald: TestHerald;
const ENV = { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' };

beforeAll(async () => {
  sink = await startDataPlaneSink(validKeys);
  herald = await startTestHerald({ env: ENV });
});
afterAll(async () => {
  await herald?.stop();
  await sink?.close();
});

async function setup(h: TestHerald, options: { enabled?: boolean; journey?: boolean } = {}) {
  const ws = await h.newWorkspace();
  const writeKey = `wk_${randomUUID()}`;
  validKeys.add(writeKey);
  await h.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: writeKey, data_plane_url: sink.url, enabled: options.enabled ?? true, journey_events: options.journey ?? false }).expect(200);
  await h.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 'Hello {{ recipient }}', body: 'b' } } }).expect(200);
  return { ws, writeKey };
}

async function sendInbox(h: TestHerald, auth: Auth, userId: string): Promise<string> {
  const res = await h.http.post('/send').set(auth).send({ message: { to: { user_id: userId }, template: 'note' } });
  return res.body.requestId;
}

const eventsFor = (writeKey: string) => sink.events.filter((e) => e.writeKey === writeKey);

describe('PUT/GET/DELETE /integrations/rudderstack', () => {
  it('stores the key protected and shows it masked; refuses a non-http data plane URL', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.get('/integrations/rudderstack').set(ws.auth).expect(404);
    const bad = await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'k', data_plane_url: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('data_plane_url must be an http(s) URL');
    const put = await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'secret-write-key-123', data_plane_url: 'https://dp.example.com/' });
    expect(put.body).toMatchObject({ write_key: '…-123', data_plane_url: 'https://dp.example.com', enabled: true, journey_events: false, status: 'ok', events_pending: 0 });
    expect(JSON.stringify(put.body)).not.toContain('secret-write-key-123');
    const [row] = await herald.db.query('SELECT write_key_encrypted FROM rudderstack_integrations WHERE workspace_id = $1', [ws.id]);
    expect(row.write_key_encrypted).not.toContain('secret-write-key-123');
    await herald.http.delete('/integrations/rudderstack').set(ws.auth).expect(204);
    await herald.http.get('/integrations/rudderstack').set(ws.auth).expect(404);
  });
});

describe('message events', () => {
  it('SENT → DELIVERED → OPENED → CLICKED arrive in order, each once, as the message object', async () => {
    const { ws, writeKey } = await setup(herald);
    const id = await sendInbox(herald, ws.auth, 'reader');
    await waitUntil(async () => (await herald.http.get(`/messages/${id}`).set(ws.auth)).body.status === 'DELIVERED');
    await herald.http.post(`/inbox/messages/${id}/opened`).set(ws.auth).expect(200);
    await herald.http.post(`/inbox/messages/${id}/clicked`).set(ws.auth).expect(200);
    await herald.http.post(`/inbox/messages/${id}/clicked`).set(ws.auth).expect(200);
    const events = await waitUntil(async () => (eventsFor(writeKey).length >= 4 ? eventsFor(writeKey) : undefined), { what: '4 events' });
    await new Promise((r) => setTimeout(r, 1000)); // nothing more may come
    expect(eventsFor(writeKey)).toHaveLength(4);
    expect(events.map((e) => e.event)).toEqual(['Message Sent', 'Message Delivered', 'Message Opened', 'Message Clicked']);
    const statuses = ['SENT', 'DELIVERED', 'OPENED', 'CLICKED'];
    expect(events.map((e) => e.messageId)).toEqual(statuses.map((s) => derivedUuid(ws.id, 'outbound', 'message', id, s)));
    for (const [i, e] of events.entries()) {
      expect(e).toMatchObject({ type: 'track', userId: 'reader' });
      expect(e.properties).toMatchObject({ id, status: statuses[i], recipient: 'reader', notification: 'note', event: 'note', run_id: null, enqueued: expect.any(Number), sent: expect.any(Number), providers: { inbox: { provider: 'inbox' } } });
    }
    expect(events[3].properties.clicked).toEqual(expect.any(Number));
    const view = (await herald.http.get('/integrations/rudderstack').set(ws.auth)).body;
    expect(view).toMatchObject({ status: 'ok', events_sent: 4, events_pending: 0 });
  });

  it('an unroutable message emits Message Unroutable; nothing is emitted for a disabled integration', async () => {
    const { ws, writeKey } = await setup(herald);
    await herald.http.post('/send').set(ws.auth).send({ message: { to: { email: 'x@example.com' }, template: 'note' } }).expect(202);
    const [event] = await waitUntil(async () => (eventsFor(writeKey).length ? eventsFor(writeKey) : undefined));
    expect(event).toMatchObject({ event: 'Message Unroutable', userId: 'x@example.com' });
    expect(event.properties.reason).toMatch(/no reachable channel/);

    const off = await setup(herald, { enabled: false });
    const id = await sendInbox(herald, off.ws.auth, 'quiet');
    await waitUntil(async () => (await herald.http.get(`/messages/${id}`).set(off.ws.auth)).body.status === 'DELIVERED');
    await new Promise((r) => setTimeout(r, 1500));
    expect(eventsFor(off.writeKey)).toEqual([]);
    expect((await herald.http.get('/integrations/rudderstack').set(off.ws.auth)).body).toMatchObject({ enabled: false, events_pending: 0, events_sent: 0 });
  });

  it('journey events, when switched on', async () => {
    const { ws, writeKey } = await setup(herald, { journey: true });
    const runId = await invokeAdHoc(herald, ws.auth, { recipient: 'traveller', automation: { steps: [{ action: 'send', template: 'note' }] } });
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    const names = await waitUntil(async () => {
      const e = eventsFor(writeKey).map((x) => x.event);
      return e.includes('Automation Run Completed') && e.includes('Message Delivered') ? e : undefined;
    });
    expect(names).toEqual(['Automation Run Started', 'Message Sent', 'Message Delivered', 'Automation Run Completed']);
  });
});

describe('when the data plane fails', () => {
  it('down for a while, then up: every event arrives once, in order per user', async () => {
    const { ws, writeKey } = await setup(herald);
    sink.failNext(3);
    const ids = [];
    for (const user of ['alice', 'bob', 'alice', 'bob']) ids.push(await sendInbox(herald, ws.auth, user));
    const events = await waitUntil(async () => (eventsFor(writeKey).length >= 8 ? eventsFor(writeKey) : undefined), { timeoutMs: 60_000, what: '8 events' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(eventsFor(writeKey)).toHaveLength(8);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(8);
    for (const user of ['alice', 'bob']) {
      // A user's changes arrive in the order they were committed: each message's Sent then Delivered,
      // message by message (the two messages are delivered concurrently, so either may be first).
      const mine = events.filter((e) => e.userId === user).map((e) => `${e.properties.id}:${e.event}`);
      const theirs = ids.filter((_, i) => (i % 2 === 0) === (user === 'alice'));
      const first = mine[0].split(':')[0];
      const order = [first, ...theirs.filter((id) => id !== first)];
      expect(mine).toEqual(order.flatMap((id) => [`${id}:Message Sent`, `${id}:Message Delivered`]));
    }
    expect((await herald.http.get('/integrations/rudderstack').set(ws.auth)).body.last_error).toBe('data plane answered HTTP 503');
  }, 90_000);

  it('while the data plane keeps failing the status says retrying, since when and why; ok only once caught up', async () => {
    const { ws, writeKey } = await setup(herald);
    sink.failNext(4);
    const before = Date.now();
    await sendInbox(herald, ws.auth, 'patient');
    const retrying = await waitUntil(async () => {
      const v = (await herald.http.get('/integrations/rudderstack').set(ws.auth)).body;
      return v.status === 'retrying' ? v : undefined;
    }, { timeoutMs: 30_000, what: 'the integration to say retrying' });
    expect(retrying.events_pending).toBeGreaterThan(0);
    expect(retrying.last_error).toBe('data plane answered HTTP 503');
    expect(Date.parse(retrying.retrying_since)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(retrying.oldest_pending_at)).toBeLessThanOrEqual(Date.parse(retrying.retrying_since));

    const caughtUp = await waitUntil(async () => {
      const v = (await herald.http.get('/integrations/rudderstack').set(ws.auth)).body;
      return v.status === 'ok' ? v : undefined;
    }, { timeoutMs: 60_000, what: 'the integration to catch up' });
    expect(caughtUp).toMatchObject({ events_pending: 0, retrying_since: null, oldest_pending_at: null });
    expect(eventsFor(writeKey).map((e) => e.event)).toEqual(['Message Sent', 'Message Delivered']);
  }, 90_000);

  it('a refused write key marks the integration failing and keeps the events until it is fixed', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wrong-key', data_plane_url: sink.url }).expect(200);
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    const id = await sendInbox(herald, ws.auth, 'kept');
    const failing = await waitUntil(async () => {
      const v = (await herald.http.get('/integrations/rudderstack').set(ws.auth)).body;
      return v.status === 'failing' && v.events_pending === 2 ? v : undefined;
    }, { what: 'integration failing' });
    expect(failing.last_error).toBe('data plane answered HTTP 401 (is the write key right?)');

    const goodKey = `wk_${randomUUID()}`;
    validKeys.add(goodKey);
    await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: goodKey, data_plane_url: sink.url }).expect(200);
    const events = await waitUntil(async () => (eventsFor(goodKey).length >= 2 ? eventsFor(goodKey) : undefined), { what: 'kept events' });
    expect(events.map((e) => [e.properties.id, e.event])).toEqual([[id, 'Message Sent'], [id, 'Message Delivered']]);
    expect((await herald.http.get('/integrations/rudderstack').set(ws.auth)).body).toMatchObject({ status: 'ok', events_pending: 0, events_sent: 2 });
  });
});

describe('durability', () => {
  it('a worker restart in the middle loses nothing', async () => {
    const taskQueue = `emitter-restart-${randomUUID()}`;
    let first: TestHerald | undefined = await startTestHerald({ taskQueue, env: ENV });
    const { ws, writeKey } = await setup(first);
    const before = await sendInbox(first, ws.auth, 'r1');
    await waitUntil(async () => (eventsFor(writeKey).length >= 2 ? true : undefined));
    await first.stop();
    first = undefined;
    // While no worker runs, the API keeps producing status changes (signals wait in Temporal).
    const api = await startTestHerald({ taskQueue, env: ENV, worker: false });
    const ids = [before];
    try {
      const queued = await sendInbox(api, ws.auth, 'r1');
      ids.push(queued);
      await new Promise((r) => setTimeout(r, 500));
      expect(eventsFor(writeKey)).toHaveLength(2);
      const second = await startTestHerald({ taskQueue, env: ENV });
      try {
        await waitUntil(async () => (eventsFor(writeKey).length >= 4 ? true : undefined), { timeoutMs: 60_000, what: 'events after restart' });
        await second.http.post(`/inbox/messages/${queued}/opened`).set(ws.auth).expect(200);
        const events = await waitUntil(async () => (eventsFor(writeKey).length >= 5 ? eventsFor(writeKey) : undefined));
        expect(events.map((e) => `${e.properties.id}:${e.event}`)).toEqual([
          `${before}:Message Sent`, `${before}:Message Delivered`, `${queued}:Message Sent`, `${queued}:Message Delivered`, `${queued}:Message Opened`,
        ]);
      } finally {
        await second.stop();
      }
    } finally {
      await api.stop();
    }
  }, 120_000);

  it('continues as new under load without losing or repeating events', async () => {
    const taskQueue = `emitter-can-${randomUUID()}`;
    const h = await startTestHerald({ taskQueue, env: { ...ENV, HERALD_EMITTER_MAX_HISTORY: '20', HERALD_OUTBOUND_BATCH_SIZE: '20' } });
    try {
      const { ws, writeKey } = await setup(h);
      const started = Date.now();
      // In waves a little apart, so the emitter goes idle and is woken again and again: its history grows.
      const ids: string[] = [];
      for (let wave = 0; wave < 6; wave++) {
        ids.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => sendInbox(h, ws.auth, `u${i % 5}`)))));
        await new Promise((r) => setTimeout(r, 1500));
      }
      const events = await waitUntil(async () => (eventsFor(writeKey).length >= 120 ? eventsFor(writeKey) : undefined), { timeoutMs: 90_000, what: '120 events' });
      const seconds = (Date.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 1000));
      expect(eventsFor(writeKey)).toHaveLength(120);
      expect(new Set(events.map((e) => e.messageId)).size).toBe(120);
      for (const id of ids) expect(events.filter((e) => e.properties.id === id).map((e) => e.event)).toEqual(['Message Sent', 'Message Delivered']);
      const runs = [];
      for await (const wf of h.temporal.client.workflow.list({ query: `WorkflowId = 'emitter:${ws.id}'` })) runs.push(wf);
      expect(runs.length).toBeGreaterThan(1);
      console.log(`emitter: 120 events in ${seconds.toFixed(1)} s end to end, ${runs.length} workflow runs (continue-as-new), ${sink.batches.filter((b) => b[0]?.writeKey === writeKey).length} batches`);
    } finally {
      await h.stop();
    }
  }, 120_000);
});

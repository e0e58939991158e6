import { randomUUID } from 'node:crypto';
import { invokeAdHoc, runReaches } from '../support/automations';
import { startDataPlaneSink } from '../support/data-plane-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

type Auth = Record<string, string>;
let herald: TestHerald;
let sink: Awaited<ReturnType<typeof startDataPlaneSink>>;

beforeAll(async () => {
  // No write key is valid: the data plane refuses every event (401), so the outbox keeps them pending.
  sink = await startDataPlaneSink(new Set());
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
});
afterAll(async () => {
  await herald?.stop();
  await sink?.close();
});

const NOTE = { name: 'Dash note', channels: { inbox: { title: 'Hi {{ recipient }}', body: 'b' } } };

async function dashboard(auth: Auth, window = 'hour') {
  const res = await herald.http.get(`/dashboard?window=${window}`).set(auth);
  if (res.status !== 200) throw new Error(`GET /dashboard: ${res.status} ${res.text}`);
  return res.body;
}

async function post(auth: Auth, body: Record<string, unknown>) {
  await herald.http.post('/inbound/rudderstack').set(auth).send(body).expect(202);
}

async function sendNote(auth: Auth, userId: string): Promise<string> {
  const res = await herald.http.post('/send').set(auth).send({ message: { to: { user_id: userId }, template: 'dash-note' } }).expect(202);
  return res.body.requestId;
}

async function messageIs(auth: Auth, id: string, status: string) {
  await waitUntil(async () => (await herald.http.get(`/messages/${id}`).set(auth)).body.status === status, { what: `message ${id} ${status}`, timeoutMs: 30_000 });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('GET /dashboard', () => {
  let a: { id: string; auth: Auth };
  let b: { id: string; auth: Auth };

  beforeAll(async () => {
    a = await herald.newWorkspace();
    b = await herald.newWorkspace();
    // Inbound: 3 identify (one posted twice: a duplicate is not an event), 2 track, 1 group; B gets one identify.
    for (const n of [1, 2, 3]) await post(a.auth, { type: 'identify', userId: `u${n}`, traits: { n }, messageId: `dash-id-${n}` });
    await post(a.auth, { type: 'identify', userId: 'u1', traits: { n: 1 }, messageId: 'dash-id-1' });
    for (const n of [1, 2]) await post(a.auth, { type: 'track', userId: `u${n}`, event: 'Dash Event', messageId: `dash-tr-${n}` });
    await post(a.auth, { type: 'group', userId: 'u1', groupId: 'g1', traits: {}, messageId: 'dash-gr-1' });
    await post(b.auth, { type: 'identify', userId: 'b1', traits: {}, messageId: 'dash-b-1' });

    // Messages: three inbox sends of one template, all delivered; two opened, one of them clicked.
    await herald.http.put('/notifications/dash-note').set(a.auth).send(NOTE).expect(200);
    const ids = [];
    for (const u of ['m1', 'm2', 'm3']) ids.push(await sendNote(a.auth, u));
    for (const id of ids) await messageIs(a.auth, id, 'DELIVERED');
    await herald.http.post(`/inbox/messages/${ids[0]}/opened`).set(a.auth).expect(200);
    await herald.http.post(`/inbox/messages/${ids[1]}/clicked`).set(a.auth).expect(200);

    // Runs: one finishes, one waits (a long delay).
    const done = await invokeAdHoc(herald, a.auth, { recipient: 'r1', automation: { steps: [{ action: 'exit' }] } });
    const waiting = await invokeAdHoc(herald, a.auth, { recipient: 'r2', automation: { steps: [{ action: 'delay', duration: '30 days' }] } });
    await runReaches(herald, a.auth, done, ['PROCESSED']);
    await runReaches(herald, a.auth, waiting, ['WAITING']);
  }, 120_000);

  it("counts exactly the workspace's events, messages, funnel and runs", async () => {
    const d = await dashboard(a.auth);
    expect(d.events.totals).toEqual({ identify: 3, track: 2, group: 1, page: 0, screen: 0, alias: 0 });
    expect(d.messages.totals).toMatchObject({ ENQUEUED: 3, SENT: 3, DELIVERED: 3, OPENED: 2, CLICKED: 1, UNDELIVERABLE: 0, CANCELED: 0 });
    expect(d.runs.totals).toEqual({ started: 2, PROCESSED: 1, CANCELED: 0, ERROR: 0 });
    expect(d.runs.active).toEqual({ PROCESSING: 0, WAITING: 1 });
    expect(d.funnel).toEqual([
      { template: 'dash-note', sent: 3, delivered: 3, opened: 2, clicked: 1, delivered_rate: 1, opened_rate: 2 / 3, clicked_rate: 1 / 3 },
    ]);
    expect(d.outbound).toEqual({ pending: 0, oldest_pending_at: null, last_error: null });
    // Series add up to totals, one entry per bucket.
    for (const group of [d.events, d.runs, d.messages]) {
      for (const [key, values] of Object.entries(group.series as Record<string, number[]>)) {
        expect(values).toHaveLength(60);
        expect(sum(values)).toBe(group.totals[key]);
      }
    }
  });

  it('an identify posted now shows at once, in the current bucket', async () => {
    const before = await dashboard(a.auth);
    await post(a.auth, { type: 'identify', userId: 'u9', traits: {}, messageId: `dash-id-${randomUUID()}` });
    const after = await dashboard(a.auth);
    expect(after.events.totals.identify).toBe(before.events.totals.identify + 1);
    const last = after.events.series.identify.length - 1;
    // The read may cross a minute boundary between the two calls; the new event is in one of the last two buckets.
    expect(after.events.series.identify[last] + after.events.series.identify[last - 1]).toBeGreaterThan(0);
  });

  it('another workspace sees only its own', async () => {
    const d = await dashboard(b.auth);
    expect(d.events.totals).toEqual({ identify: 1, track: 0, group: 0, page: 0, screen: 0, alias: 0 });
    expect(sum(Object.values(d.messages.totals) as number[])).toBe(0);
    expect(d.runs.totals).toEqual({ started: 0, PROCESSED: 0, CANCELED: 0, ERROR: 0 });
    expect(d.runs.active).toEqual({ PROCESSING: 0, WAITING: 0 });
    expect(d.funnel).toEqual([]);
  });

  it('hour, day and week: bucket sizes and counts, aligned, ending after now; the same totals', async () => {
    const now = Date.now();
    for (const [window, seconds, count] of [['hour', 60, 60], ['day', 1800, 48], ['week', 3600, 168]] as const) {
      const d = await dashboard(a.auth, window);
      expect(d).toMatchObject({ window, bucket_seconds: seconds });
      expect(d.buckets).toHaveLength(count);
      expect(d.events.series.track).toHaveLength(count);
      expect(d.buckets[0]).toBe(d.from);
      expect(Date.parse(d.to) - Date.parse(d.from)).toBe(count * seconds * 1000);
      expect(Date.parse(d.from) % (seconds * 1000)).toBe(0);
      expect(Date.parse(d.to)).toBeGreaterThan(now);
      expect(Date.parse(d.to) - seconds * 1000).toBeLessThanOrEqual(Date.now());
      expect(d.events.totals.track).toBe(2);
      expect(d.funnel[0]).toMatchObject({ template: 'dash-note', sent: 3, clicked: 1 });
      expect(d.runs.totals.PROCESSED).toBe(1);
    }
    // No window is the hour.
    expect((await herald.http.get('/dashboard').set(a.auth).expect(200)).body.bucket_seconds).toBe(60);
  });

  it('a bad window is a 400 naming it; no key is a 401', async () => {
    const res = await herald.http.get('/dashboard?window=month').set(a.auth);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/window must be one of hour, day, week/);
    await herald.http.get('/dashboard').expect(401);
  });

  it('outbound: pending events, the oldest one, the last error', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/dash-note').set(ws.auth).send(NOTE).expect(200);
    await herald.http
      .put('/integrations/rudderstack')
      .set(ws.auth)
      .send({ write_key: `wk_${randomUUID()}`, data_plane_url: sink.url, enabled: true })
      .expect(200);
    const id = await sendNote(ws.auth, 'o1');
    await messageIs(ws.auth, id, 'DELIVERED');
    const d = await waitUntil(async () => {
      const body = await dashboard(ws.auth);
      return body.outbound.last_error ? body : undefined;
    }, { what: 'the refused outbound event to show as last_error', timeoutMs: 30_000 });
    const [truth] = await herald.db.query(
      'SELECT count(*)::int AS pending, min(created_at) AS oldest FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL',
      [ws.id],
    );
    expect(truth.pending).toBeGreaterThan(0);
    expect(d.outbound.pending).toBe(truth.pending);
    expect(d.outbound.oldest_pending_at).toBe(truth.oldest.toISOString());
    expect(d.outbound.last_error.message).toMatch(/401/);
    expect(Number.isNaN(Date.parse(d.outbound.last_error.at))).toBe(false);
  });

  it('is documented in the OpenAPI document with its full response schema', async () => {
    const doc = (await herald.http.get('/docs/openapi.json').expect(200)).body;
    const op = doc.paths['/dashboard'].get;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '503']);
    const ref = op.responses['200'].content['application/json'].schema.$ref as string;
    expect(ref).toBe('#/components/schemas/Dashboard');
    const schema = doc.components.schemas.Dashboard;
    expect(Object.keys(schema.properties).sort()).toEqual(['bucket_seconds', 'buckets', 'events', 'from', 'funnel', 'messages', 'outbound', 'runs', 'to', 'window']);
    expect(schema.properties.funnel.items.properties.delivered_rate.nullable).toBe(true);
  });
});

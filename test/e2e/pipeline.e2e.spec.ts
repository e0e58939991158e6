import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/** The batched ingest pipeline under load: per-recipient order, and backpressure. */

async function post(baseUrl: string, key: string, body: unknown) {
  const res = await fetch(`${baseUrl}/inbound/rudderstack`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, any> };
}

describe('order per recipient', () => {
  let herald: TestHerald;
  let baseUrl: string;
  beforeAll(async () => {
    // Small batches, so each user's events spread over many batches of a busy shard.
    herald = await startTestHerald({ env: { INBOUND_BATCH_SIZE: '25' } });
    await herald.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(herald.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => herald?.stop());

  it('identify events of one user, each sent after the previous got its 202, apply in that order under load', async () => {
    const ws = await herald.newWorkspace();
    const USERS = 40;
    const STEPS = 6;
    let noise = true;
    // Background load from other users in batches while the ordered streams run.
    const background = (async () => {
      let n = 0;
      while (noise) {
        const batch = Array.from({ length: 50 }, (_, i) => ({ type: 'identify', userId: `noise-${(n + i) % 200}`, messageId: randomUUID(), traits: { n: n + i } }));
        n += 50;
        expect((await post(baseUrl, ws.key, { batch })).status).toBe(202);
      }
      return n;
    })();
    await Promise.all(
      Array.from({ length: USERS }, async (_, u) => {
        for (let step = 1; step <= STEPS; step++) {
          const res = await post(baseUrl, ws.key, { type: 'identify', userId: `ordered-${u}`, messageId: randomUUID(), traits: { plan: `plan-${step}`, [`step${step}`]: true } });
          expect(res.status).toBe(202);
        }
      }),
    );
    noise = false;
    const noiseEvents = await background;
    await waitUntil(async () => {
      const [{ pending }] = await herald.db.query('SELECT count(*)::int AS pending FROM inbound_events WHERE workspace_id = $1 AND outcome IS NULL', [ws.id]);
      return pending === 0;
    }, { timeoutMs: 120_000, what: 'every event processed' });
    const profiles = await herald.db.query(`SELECT user_id, profile FROM profiles WHERE workspace_id = $1 AND user_id LIKE 'ordered-%'`, [ws.id]);
    expect(profiles).toHaveLength(USERS);
    // The last identify (plan-6) won for every user: none was applied after a later one.
    expect(profiles.filter((p: any) => p.profile.plan !== `plan-${STEPS}`)).toEqual([]);
    for (const p of profiles) for (let step = 1; step <= STEPS; step++) expect(p.profile[`step${step}`]).toBe(true);
    // And the ledger applied them in acceptance order: processed_at never goes backwards for a user.
    const disorder = await herald.db.query(
      `SELECT user_id FROM (SELECT user_id, id, processed_at, lag(processed_at) OVER (PARTITION BY user_id ORDER BY id) AS before
       FROM inbound_events WHERE workspace_id = $1 AND user_id LIKE 'ordered-%') t WHERE processed_at < before`,
      [ws.id],
    );
    expect(disorder).toEqual([]);
    expect(noiseEvents).toBeGreaterThan(0);
  }, 180_000);
});

describe('backpressure', () => {
  let api: TestHerald | undefined;
  let worker: TestHerald | undefined;
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
  });

  it('answers 429 with Retry-After over INBOUND_MAX_BACKLOG; the retried events are processed, each once', async () => {
    const taskQueue = `backpressure-${randomUUID()}`;
    const env = { INBOUND_MAX_BACKLOG: '20' };
    // No worker yet: the backlog can only grow.
    api = await startTestHerald({ worker: false, taskQueue, env });
    await api.app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
    const ws = await api.newWorkspace();
    const events = Array.from({ length: 40 }, (_, i) => ({ type: 'identify', userId: `bp-${i % 7}`, messageId: `bp-${i}`, traits: { [`e${i}`]: i } }));
    const answers = [];
    for (const e of events) answers.push({ event: e, ...(await post(baseUrl, ws.key, e)) });
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 202).length).toBe(20);
    expect(refused.length).toBe(20);
    expect(refused[0].retryAfter).toBe('3');
    expect(refused[0].body).toEqual({ message: expect.stringMatching(/^too many unprocessed events.*INBOUND_MAX_BACKLOG \(20\); retry later$/), type: 'rate_limit_error' });
    const [{ n }] = await api.db.query('SELECT count(*)::int AS n FROM inbound_events WHERE workspace_id = $1', [ws.id]);
    expect(n).toBe(20);

    // A worker drains the backlog; the sender retries what got 429, as RudderStack does.
    worker = await startTestHerald({ taskQueue, env });
    for (const r of refused) {
      await waitUntil(async () => (await post(baseUrl, ws.key, r.event)).status === 202, { timeoutMs: 60_000, what: `retry of ${r.event.messageId}` });
    }
    const log = await waitUntil(async () => {
      const rows = await api!.db.query('SELECT message_id, outcome, duplicate_count FROM inbound_events WHERE workspace_id = $1', [ws.id]);
      return rows.length === events.length && rows.every((r: any) => r.outcome === 'processed') ? rows : undefined;
    }, { timeoutMs: 60_000, what: 'all 40 processed' });
    expect(log.every((r: any) => r.duplicate_count === 0)).toBe(true);
    for (let u = 0; u < 7; u++) {
      const profile = (await api.http.get(`/profiles/bp-${u}`).set(ws.auth)).body.profile;
      expect(Object.keys(profile).sort()).toEqual(events.filter((_, i) => i % 7 === u).map((_, j, all) => `e${Number(all[j].messageId.slice(3))}`).sort());
    }
  }, 120_000);
});

describe('paging what one batch wrote', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald();
  });
  afterAll(() => herald?.stop());

  it('lists every run and message of a batch whose rows share one timestamp, page by page', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    const template = (await herald.http.post('/automations').set(ws.auth).send({ name: 'One', steps: [{ action: 'send', template: 'note' }] })).body.id;
    await herald.http.post(`/automations/${template}/publish`).set(ws.auth).expect(201);
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Paged')}/automations/${template}`).set(ws.auth).expect(200);
    const batch = Array.from({ length: 130 }, (_, i) => ({ type: 'track', userId: `pg-${i % 3}`, event: 'Paged', messageId: randomUUID() }));
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch }).expect(202);
    await waitUntil(async () => {
      const [{ n }] = await herald.db.query(`SELECT count(*)::int AS n FROM messages WHERE workspace_id = $1 AND status = 'DELIVERED'`, [ws.id]);
      return n === 130;
    }, { timeoutMs: 60_000, what: '130 messages delivered' });
    const [{ distinct }] = await herald.db.query('SELECT count(DISTINCT created_at)::int AS distinct FROM automation_runs WHERE workspace_id = $1', [ws.id]);
    expect(distinct).toBeLessThan(130); // one INSERT per batch: many runs share a timestamp
    for (const path of ['/automations/runs', '/messages']) {
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const res = await herald.http.get(path).set(ws.auth).query({ limit: 40, ...(cursor ? { cursor } : {}) }).expect(200);
        for (const item of res.body.items) seen.add(item.run_id ?? item.id);
        if (!res.body.has_more) break;
        cursor = res.body.cursor;
      }
      expect(seen.size).toBe(130);
    }
    // A forged cursor is a 400 naming it, on every list.
    for (const path of ['/automations/runs', '/messages', '/inbound/events/log', '/inbound/events', '/automations', '/notifications', '/inbox/pg-0/messages']) {
      const res = await herald.http.get(path).set(ws.auth).query({ cursor: Buffer.from('["x","y","z"]').toString('base64url') });
      expect([path, res.status, res.body]).toEqual([path, 400, { message: 'cursor is not valid', type: 'invalid_request_error' }]);
    }
  }, 120_000);
});

import type { AddressInfo } from 'node:net';
import { publishedTemplate } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { mapPool, paginate, seededRandom, shuffle } from './support/fault-helpers';

/**
 * Fault: RudderStack (or a proxy in front of Herald) retries aggressively, so the same events
 * arrive several times, concurrently. The same 1,000 track events are posted 5 times each,
 * all 5,000 requests interleaved with 50 in flight; then the books must balance: one answer
 * without `duplicate` per event, one log row, one outcome, one run (one run workflow), one inbox
 * message and one catalog count each.
 */

const EVENTS = 1_000;
const COPIES = 5;
const USERS = 50;
const IN_FLIGHT = 50;
const SEED = 20_240_601;

let herald: TestHerald;
let baseUrl: string;

beforeAll(async () => {
  herald = await startTestHerald();
  await herald.app.listen(0, '127.0.0.1');
  const { port } = herald.app.getHttpServer().address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => herald?.stop());

const userOf = (i: number) => `storm-user-${i % USERS}`;

it(
  `the same ${EVENTS} events posted ${COPIES} times each, concurrently, are processed exactly once`,
  async () => {
    const ws = await herald.newWorkspace();

    // One inbox message per run: a published one-step automation mapped to track/Storm.
    await herald.http
      .put('/notifications/note')
      .set(ws.auth)
      .send({ name: 'Note', channels: { inbox: { title: 'Storm {{ data.properties.n }}', body: 'for {{ recipient }}' } }, routing: { method: 'single', channels: ['inbox'] } })
      .expect(200);
    const templateId = await publishedTemplate(herald, ws.auth, { name: 'Storm note', steps: [{ action: 'send', template: 'note' }] });
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Storm')}/automations/${templateId}`).set(ws.auth).expect(200);

    const events = Array.from({ length: EVENTS }, (_, i) => ({
      type: 'track',
      event: 'Storm',
      userId: userOf(i),
      messageId: `storm-${i}`,
      properties: { n: i },
    }));
    // Every copy of every event, shuffled so that the copies of one event race each other.
    const requests = shuffle(
      events.flatMap((e) => Array.from({ length: COPIES }, () => e)),
      seededRandom(SEED),
    );

    const started = Date.now();
    const answers = await mapPool(requests, IN_FLIGHT, async (event) => {
      const res = await fetch(`${baseUrl}/inbound/rudderstack`, {
        method: 'POST',
        headers: { ...ws.auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(event),
      });
      const text = await res.text();
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: res.status, body, messageId: event.messageId };
    });
    const postedMs = Date.now() - started;

    // The answers: all 202, exactly one per messageId without `duplicate`.
    const notAccepted = answers.filter((a) => a.status !== 202);
    expect(notAccepted.slice(0, 5)).toEqual([]);
    for (const a of answers) {
      expect(a.body.messageId).toBe(a.messageId);
      if (a.body.duplicate !== undefined) expect(a.body).toEqual({ messageId: a.messageId, duplicate: true });
      else expect(a.body).toEqual({ messageId: a.messageId });
    }
    const firsts = answers.filter((a) => a.body.duplicate === undefined);
    const dups = answers.filter((a) => a.body.duplicate === true);
    expect(firsts).toHaveLength(EVENTS);
    expect(dups).toHaveLength(EVENTS * (COPIES - 1));
    expect(new Set(firsts.map((a) => a.messageId)).size).toBe(EVENTS);

    // The event log: one row per event, each counted 4 times as a duplicate, all processed.
    await waitUntil(
      async () => {
        const pending = await herald.http.get('/inbound/events/log').set(ws.auth).query({ status: 'pending', limit: 1 });
        return pending.status === 200 && pending.body.items.length === 0;
      },
      { timeoutMs: 300_000, intervalMs: 1_000, what: 'every logged event to be processed' },
    );
    const log = await paginate(herald, ws.auth, '/inbound/events/log');
    expect(log).toHaveLength(EVENTS);
    expect(new Set(log.map((row) => row.message_id))).toEqual(new Set(events.map((e) => e.messageId)));
    const offBooks = log.filter((row) => row.duplicate_count !== COPIES - 1 || row.status !== 'processed' || row.run_ids.length !== 1);
    expect(offBooks.slice(0, 5).map((r) => ({ message_id: r.message_id, duplicate_count: r.duplicate_count, status: r.status, run_ids: r.run_ids, error: r.error }))).toEqual([]);

    // Runs: exactly one per event, all PROCESSED.
    const runs = await waitUntil(
      async () => {
        const all = await paginate(herald, ws.auth, '/automations/runs');
        return all.length >= EVENTS && all.every((r) => r.status !== 'PROCESSING' && r.status !== 'WAITING') ? all : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'every run to finish' },
    ).catch(async (e) => {
      const rows = await herald.db.query(`SELECT status, started_at IS NOT NULL AS started, count(*)::int FROM automation_runs WHERE workspace_id = $1 GROUP BY 1, 2`, [ws.id]);
      console.log('RUNS', JSON.stringify(rows));
      const stuck = await herald.db.query(`SELECT id, status, cursor, started_at, created_at, updated_at FROM automation_runs WHERE workspace_id = $1 AND status <> 'PROCESSED' LIMIT 3`, [ws.id]);
      for (const r of stuck) {
        const h = await herald.temporal.client.workflow.getHandle(`run:${ws.id}:${r.id}`).fetchHistory().catch((x) => String(x));
        console.log('STUCK', JSON.stringify(r), typeof h === 'string' ? h : JSON.stringify(h.events?.map((ev: any) => [ev.eventType, ev.workflowTaskFailedEventAttributes?.failure?.message])));
        console.log('STEPS', JSON.stringify(await herald.db.query('SELECT * FROM automation_run_steps WHERE run_id = $1', [r.id])));
        console.log('MSG', JSON.stringify(await herald.db.query('SELECT id, status FROM messages WHERE run_id = $1', [r.id])), JSON.stringify(await herald.db.query('SELECT * FROM channel_deliveries WHERE message_id LIKE $1', [`${r.id}%`])));
      }
      throw e;
    });
    expect(runs).toHaveLength(EVENTS);
    expect(runs.filter((r) => r.status !== 'PROCESSED').slice(0, 5)).toEqual([]);
    expect(new Set(runs.map((r) => r.id ?? r.run_id)).size).toBe(EVENTS);
    expect(new Set(runs.map((r) => r.id ?? r.run_id))).toEqual(new Set(log.map((row) => row.run_ids[0])));

    // Inbox: exactly one message per event, spread over the users who sent them.
    const inboxes = await mapPool(Array.from({ length: USERS }, (_, u) => `storm-user-${u}`), 10, (user) =>
      paginate(herald, ws.auth, `/inbox/${encodeURIComponent(user)}/messages`),
    );
    const messages = inboxes.flat();
    expect(messages).toHaveLength(EVENTS);
    expect(new Set(messages.map((m) => m.id)).size).toBe(EVENTS);
    expect(new Set(messages.map((m) => m.title))).toEqual(new Set(events.map((e) => `Storm ${e.properties.n}`)));
    inboxes.forEach((inbox, u) => expect(inbox).toHaveLength(EVENTS / USERS));

    // The catalog counted each event once.
    const catalog = await paginate(herald, ws.auth, '/inbound/events');
    expect(catalog.map((c) => [c.event_id, c.count])).toEqual([['track/Storm', EVENTS]]);

    // Temporal: exactly one run workflow per event (no workflow per inbound event: dispatchers batch them).
    const query = `WorkflowId STARTS_WITH 'run:${ws.id}:'`;
    const counted = await waitUntil(
      async () => {
        const { count } = await herald.temporal.client.workflow.count(query);
        return count >= EVENTS ? count : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'visibility to list the run workflows' },
    ).catch(async () => (await herald.temporal.client.workflow.count(query)).count);
    expect(counted).toBe(EVENTS);
    const ids = new Set<string>();
    for await (const wf of herald.temporal.client.workflow.list({ query })) ids.add(wf.workflowId);
    expect(ids).toEqual(new Set(runs.map((r) => `run:${ws.id}:${r.run_id}`)));
    expect((await herald.temporal.client.workflow.count(`WorkflowId STARTS_WITH 'ingest:${ws.id}:'`)).count).toBe(0);

    const totalMs = Date.now() - started;
    console.log(
      `[duplicate-storm] ${requests.length} requests (${EVENTS} events x ${COPIES}, ${IN_FLIGHT} in flight) answered in ${postedMs} ms ` +
        `(${Math.round(requests.length / (postedMs / 1000))} req/s); books balanced after ${totalMs} ms`,
    );
  },
  15 * 60_000,
);

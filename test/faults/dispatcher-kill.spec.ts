import { randomUUID } from 'node:crypto';
import { publishedTemplate } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { countBy, listAll } from './support/books';
import { spawnHerald } from './support/processes';

/**
 * A worker process SIGKILLed in the middle of a dispatcher batch: inside its transaction (rolled
 * back: the batch is processed again) or right after the commit, before the batch's runs are
 * started (the maintenance sweep starts them). The books: every event one outcome, every
 * profile written once per identify, every run PROCESSED, every message in the inbox once.
 */
describe.each(['dispatch-before-commit', 'dispatch-after-commit'])('worker killed at %s', (point) => {
  let api: TestHerald | undefined;
  let takeover: TestHerald | undefined;
  afterAll(async () => {
    await api?.stop();
    await takeover?.stop();
  });

  it('a new worker finishes the batch; nothing is lost or done twice', async () => {
    const taskQueue = `fault-dispatch-${randomUUID()}`;
    const env = { TEMPORAL_TASK_QUEUE: taskQueue, HERALD_SWEEP_INTERVAL: '2s' };
    api = await startTestHerald({ worker: false, taskQueue, env });
    const ws = await api.newWorkspace();
    await api.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 'n {{ data.properties.n }}', body: 'b' } } }).expect(200);
    const template = await publishedTemplate(api, ws.auth, { name: 'Batch', steps: [{ action: 'send', template: 'note' }] });
    await api.http.put(`/inbound/events/${encodeURIComponent('track/Batched')}/automations/${template}`).set(ws.auth).expect(200);

    // The events are in the ledger before any worker runs: the first worker's first batch takes them.
    const users = Array.from({ length: 10 }, (_, i) => `d${i}`);
    const events = users.flatMap((u, i) => [
      { type: 'identify', userId: u, messageId: randomUUID(), traits: { n: i, seen: 1 } },
      { type: 'track', userId: u, event: 'Batched', messageId: randomUUID(), properties: { n: i } },
      { type: 'identify', userId: u, messageId: randomUUID(), traits: { seen: 2 } },
    ]);
    await api.http.post('/inbound/rudderstack').set(ws.auth).send({ batch: events }).expect(202);

    const worker = spawnHerald('worker', { ...env, HERALD_FAULT_INJECTION: `${point}:kill` });
    expect(await worker.exited).toBe('SIGKILL');
    const [{ done }] = await api.db.query('SELECT count(*) FILTER (WHERE outcome IS NOT NULL)::int AS done FROM inbound_events WHERE workspace_id = $1', [ws.id]);
    if (point === 'dispatch-before-commit') expect(done).toBe(0);
    else expect(done).toBeGreaterThan(0);

    takeover = await startTestHerald({ taskQueue, env });
    const log = await waitUntil(async () => {
      const all = await listAll(takeover!, ws.auth, '/inbound/events/log');
      return all.length === events.length && all.every((e) => e.status === 'processed') ? all : undefined;
    }, { timeoutMs: 90_000, what: 'every event processed' });
    const runIds = log.filter((e) => e.type === 'track').map((e) => e.run_ids);
    expect(runIds.every((ids) => ids.length === 1)).toBe(true);
    const runs = await waitUntil(async () => {
      const all = await listAll(takeover!, ws.auth, '/automations/runs');
      return all.length === users.length && all.every((r) => r.status === 'PROCESSED') ? all : undefined;
    }, { timeoutMs: 90_000, what: 'every run PROCESSED (the sweep starts the ones the dead worker left)' });
    expect(new Set(runs.map((r) => r.run_id))).toEqual(new Set(runIds.flat()));
    const inbox = (await Promise.all(users.map((u) => listAll(takeover!, ws.auth, `/inbox/${u}/messages`)))).flat();
    expect(Object.values(countBy(inbox, (m) => m.id))).toEqual(Array(users.length).fill(1));
    for (const [i, u] of users.entries()) {
      expect((await takeover.http.get(`/profiles/${u}`).set(ws.auth)).body.profile).toEqual({ n: i, seen: 2 });
    }
    const catalog = await listAll(takeover, ws.auth, '/inbound/events');
    expect(Object.fromEntries(catalog.map((c) => [c.event_id, c.count]))).toEqual({ identify: 20, 'track/Batched': 10 });
  }, 180_000);
});

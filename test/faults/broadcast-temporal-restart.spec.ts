import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedTemporalHandle, startEmbeddedTemporal } from '../../src/temporal/embedded-temporal';
import { freePort } from '../support/ports';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * The Temporal dev server (persistent SQLite) stopped and restarted while a broadcast of 2,000
 * runs at 200/s: the batch in flight keeps delivering (its heartbeats fail), the broadcast
 * finishes after the restart, and the books balance — every recipient messaged exactly once.
 */
describe('broadcast across a Temporal restart', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-broadcast-restart-'));
  let temporal: EmbeddedTemporalHandle | undefined;
  let herald: TestHerald | undefined;
  afterAll(async () => {
    await herald?.stop();
    await temporal?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finishes after the restart with each recipient messaged once', async () => {
    const n = 2000;
    const port = await freePort();
    const start = () => startEmbeddedTemporal({ dbFile: path.join(dir, 'temporal.db'), port, headless: true, namespace: 'default' });
    temporal = await start();
    herald = await startTestHerald({ temporalAddress: temporal.address, env: { HERALD_SWEEP_INTERVAL: '2s' } });
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    for (let i = 0; i < n; i += 1000) {
      await herald.http.post('/lists/all/subscriptions').set(ws.auth).send({ recipients: Array.from({ length: 1000 }, (_, j) => ({ recipientId: `r${i + j}` })) }).expect(204);
    }
    const id = (await herald.http.post('/broadcasts').set(ws.auth).send({ name: 'Restart', list_id: 'all', template: 'note', rate_per_second: 200, start: true }).expect(201)).body.id;
    await waitUntil(async () => ((await herald!.http.get(`/broadcasts/${id}`).set(ws.auth)).body.progress.sent >= 400 ? true : undefined), { timeoutMs: 60_000, what: '400 sent' });

    await temporal.stop();
    await waitUntil(async () => ((await herald!.http.get('/ready')).body.temporal === 'down' ? true : undefined), { what: 'Temporal seen down' });
    // Progress is in Postgres: readable while Temporal is away, and pause is decided there too.
    const during = (await herald.http.get(`/broadcasts/${id}`).set(ws.auth)).body;
    expect(during.status).toBe('RUNNING');
    temporal = await start();

    const done = await waitUntil(async () => {
      const b = (await herald!.http.get(`/broadcasts/${id}`).set(ws.auth)).body;
      return b.status === 'COMPLETED' ? b : undefined;
    }, { timeoutMs: 240_000, what: 'broadcast COMPLETED after the restart' });
    expect(done.progress).toEqual({ targeted: n, sent: n, filtered: 0, failed: 0, pending: 0 });
    const [{ messages, delivered, inbox }] = (await herald.db.query(
      `SELECT (SELECT count(*)::int FROM messages WHERE workspace_id = $1 AND request_id = $2) AS messages,
         (SELECT count(*)::int FROM messages WHERE workspace_id = $1 AND request_id = $2 AND status = 'DELIVERED') AS delivered,
         (SELECT count(DISTINCT user_id)::int FROM inbox_messages WHERE workspace_id = $1) AS inbox`,
      [ws.id, id],
    )) as Array<{ messages: number; delivered: number; inbox: number }>;
    expect({ messages, delivered, inbox }).toEqual({ messages: n, delivered: n, inbox: n });
    const [{ items }] = (await herald.db.query(`SELECT count(*)::int AS items FROM inbox_messages WHERE workspace_id = $1`, [ws.id])) as Array<{ items: number }>;
    expect(items).toBe(n);
    console.log(`broadcast restart: ${n} recipients; ${during.progress.sent} sent when Temporal was seen down; COMPLETED after the restart with the books balanced`);
  }, 360_000);
});

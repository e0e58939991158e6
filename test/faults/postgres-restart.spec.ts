import { runMigrations } from '../../src/database/migrate';
import { publishedTemplate } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { expectEventsRunsAndInbox } from './support/books';
import { createPgCluster, PgCluster } from './support/pg-cluster';
import { freePort } from '../support/ports';

/**
 * Postgres stopped and restarted mid-run: inbound answers 503 while it is down, activities
 * (including run bookkeeping while runs sit in delays) retry, and nothing is lost or duplicated.
 */
describe('Postgres stopped and restarted', () => {
  let pg: PgCluster | undefined;
  let herald: TestHerald | undefined;
  afterAll(async () => {
    await herald?.stop();
    pg?.destroy();
  });

  it('503 while down; events, runs and messages all complete once after the restart', async () => {
    pg = createPgCluster(await freePort());
    await runMigrations({ url: pg.url, poolSize: 2, ssl: false });
    herald = await startTestHerald({ databaseUrl: pg.url, env: { HERALD_SWEEP_INTERVAL: '2s' } });
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    const template = await publishedTemplate(herald, ws.auth, { name: 'Pg', steps: [{ action: 'delay', duration: '3 seconds' }, { action: 'send', template: 'note' }] });
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Pg')}/automations/${template}`).set(ws.auth).expect(200);
    const event = (i: number) => ({ type: 'track', event: 'Pg', userId: `p${i % 5}`, messageId: `pg-${i}` });

    for (let i = 0; i < 20; i++) await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i)).expect(202);
    await waitUntil(async () => (await herald!.http.get('/automations/runs').set(ws.auth).query({ status: 'WAITING' })).body.items.length >= 5, { what: 'runs waiting' });

    pg.stop();
    const refused: number[] = [];
    for (let i = 20; i < 30; i++) {
      const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i));
      // The API key check itself may already need the database (keys are cached 30 s).
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      refused.push(i);
    }
    expect((await herald.http.get('/ready')).body.database).toBe('down');
    // Delays end while the database is down: their bookkeeping has to wait and retry.
    await new Promise((r) => setTimeout(r, 4000));
    pg.start();

    for (const i of [...refused, 3]) {
      await waitUntil(async () => (await herald!.http.post('/inbound/rudderstack').set(ws.auth).send(event(i))).status === 202, { timeoutMs: 60_000, what: `retry of event ${i}` });
    }
    const runs = await expectEventsRunsAndInbox(herald, ws.auth, 30, [0, 1, 2, 3, 4].map((u) => `p${u}`));
    const steps = await Promise.all(runs.map(async (r) => (await herald!.http.get(`/automations/runs/${r.run_id}/steps`).set(ws.auth)).body.items));
    expect(steps.every((s) => s.map((x: any) => x.status).join() === 'PROCESSED,PROCESSED')).toBe(true);
  }, 300_000);
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedTemporalHandle, startEmbeddedTemporal } from '../../src/temporal/embedded-temporal';
import { publishedTemplate } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { expectEventsRunsAndInbox } from './support/books';
import { freePort } from '../support/ports';

/**
 * The Temporal dev server (persistent SQLite) stopped and restarted mid-run: inbound keeps
 * accepting (the Postgres ledger is the accept point), everything accepted while it was down is
 * processed once it is back (the dispatchers are woken by the next event or the maintenance
 * sweep), RudderStack-style repeats are duplicates, and runs in a delay finish after the restart.
 */
describe('Temporal stopped and restarted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-temporal-fault-'));
  let temporal: EmbeddedTemporalHandle | undefined;
  let herald: TestHerald | undefined;
  afterAll(async () => {
    await herald?.stop();
    await temporal?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts while down; everything accepted before, during and after is processed exactly once', async () => {
    const port = await freePort();
    const start = () => startEmbeddedTemporal({ dbFile: path.join(dir, 'temporal.db'), port, headless: true, namespace: 'default' });
    temporal = await start();
    herald = await startTestHerald({ temporalAddress: temporal.address, env: { HERALD_SWEEP_INTERVAL: '2s' } });
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    const template = await publishedTemplate(herald, ws.auth, { name: 'Tick', steps: [{ action: 'delay', duration: '3 seconds' }, { action: 'send', template: 'note' }] });
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Tick')}/automations/${template}`).set(ws.auth).expect(200);
    const event = (i: number) => ({ type: 'track', event: 'Tick', userId: `t${i % 5}`, messageId: `tick-${i}` });

    for (let i = 0; i < 20; i++) await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i)).expect(202);
    await waitUntil(async () => (await herald!.http.get('/automations/runs').set(ws.auth).query({ status: 'WAITING' })).body.items.length > 0, { what: 'runs waiting' });

    await temporal.stop();
    for (let i = 20; i < 30; i++) {
      const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i));
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ messageId: `tick-${i}` });
    }
    expect((await herald.http.get('/ready')).body.temporal).toBe('down');
    // What needs Temporal at once (starting a run) answers 503 with Retry-After meanwhile; its retry works after.
    const other = await herald.newWorkspace();
    const invokeOnce = () => herald!.http.post('/automations/invoke').set(other.auth).set('Idempotency-Key', 'during-outage').send({ automation: { steps: [{ action: 'exit' }] } });
    const invoke = await invokeOnce();
    expect(invoke.status).toBe(503);
    expect(invoke.headers['retry-after']).toBe('3');

    temporal = await start();
    // RudderStack is at-least-once: it may repeat events that got 202. They are duplicates.
    for (const i of [0, 1, 25]) {
      const repeat = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i));
      expect(repeat.body).toEqual({ messageId: `tick-${i}`, duplicate: true });
    }

    // The books: 30 events, each one ingest outcome and one run, each run one inbox message.
    await expectEventsRunsAndInbox(herald, ws.auth, 30, [0, 1, 2, 3, 4].map((u) => `t${u}`));
    const runs = await herald.temporal.client.workflow.count(`WorkflowType = 'automationRun' AND HeraldWorkspace = '${ws.id}'`);
    expect(runs.count).toBe(30);
    // The client's retry of the invoke that got 503 (same Idempotency-Key) starts that run, once.
    const retried = await invokeOnce();
    expect(retried.status).toBe(202);
    await waitUntil(async () => (await herald!.http.get(`/automations/runs/${retried.body.runId}`).set(other.auth)).body.status === 'PROCESSED', { what: 'the retried invoke' });
  }, 300_000);
});

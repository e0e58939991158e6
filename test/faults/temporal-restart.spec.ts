import { randomUUID } from 'node:crypto';
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
 * The Temporal dev server (persistent SQLite) stopped and restarted mid-run: inbound answers 503
 * while it is down, RudderStack-style retries afterwards are processed once, runs in a delay
 * finish after the restart.
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

  it('503 while down; everything accepted before and retried after is processed exactly once', async () => {
    const port = await freePort();
    const start = () => startEmbeddedTemporal({ dbFile: path.join(dir, 'temporal.db'), port, headless: true, namespace: 'default' });
    temporal = await start();
    herald = await startTestHerald({ temporalAddress: temporal.address });
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    const template = await publishedTemplate(herald, ws.auth, { name: 'Tick', steps: [{ action: 'delay', duration: '3 seconds' }, { action: 'send', template: 'note' }] });
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Tick')}/automations/${template}`).set(ws.auth).expect(200);
    const event = (i: number) => ({ type: 'track', event: 'Tick', userId: `t${i % 5}`, messageId: `tick-${i}` });

    for (let i = 0; i < 20; i++) await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i)).expect(202);
    await waitUntil(async () => (await herald!.http.get('/automations/runs').set(ws.auth).query({ status: 'WAITING' })).body.items.length > 0, { what: 'runs waiting' });

    await temporal.stop();
    const refused: number[] = [];
    for (let i = 20; i < 30; i++) {
      const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event(i));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      refused.push(i);
    }
    expect((await herald.http.get('/ready')).body.temporal).toBe('down');

    temporal = await start();
    // RudderStack retries what got 503 (and, being at-least-once, may repeat some that got 202).
    for (const i of [...refused, 0, 1]) {
      await waitUntil(async () => (await herald!.http.post('/inbound/rudderstack').set(ws.auth).send(event(i))).status === 202, { timeoutMs: 60_000, what: `retry of event ${i}` });
    }

    // The books: 30 events, each one ingest outcome and one run, each run one inbox message.
    await expectEventsRunsAndInbox(herald, ws.auth, 30, [0, 1, 2, 3, 4].map((u) => `t${u}`));
    let ingest = 0;
    for await (const _ of herald.temporal.client.workflow.list({ query: `WorkflowType = 'ingestWorkflow'` })) ingest++;
    expect(ingest).toBe(30);
  }, 300_000);
});

import { randomUUID } from 'node:crypto';
import { publishedTemplate } from '../support/automations';
import { freePort } from '../support/ports';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { listening, spawnHerald } from './support/processes';

/**
 * The API process dies (SIGKILL) right after the ledger commit, before it wakes the shard's
 * dispatcher and before it answers. Nobody retries and no other event arrives for that shard:
 * the maintenance sweep finds the row and the event is processed — once.
 */
describe('API killed between the ledger commit and the wake-up', () => {
  let worker: TestHerald | undefined;
  afterAll(async () => {
    await worker?.stop();
  });

  it('the sweep processes the committed event; its run delivers exactly one message', async () => {
    const taskQueue = `fault-api-kill-${randomUUID()}`;
    worker = await startTestHerald({ taskQueue, env: { HERALD_SWEEP_INTERVAL: '2s' } });
    const ws = await worker.newWorkspace();
    await worker.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 't', body: 'b' } } }).expect(200);
    const template = await publishedTemplate(worker, ws.auth, { name: 'Once', steps: [{ action: 'send', template: 'note' }] });
    await worker.http.put(`/inbound/events/${encodeURIComponent('track/Orphan')}/automations/${template}`).set(ws.auth).expect(200);

    const port = await freePort();
    const api = spawnHerald('api', { PORT: String(port), TEMPORAL_TASK_QUEUE: taskQueue, HERALD_FAULT_INJECTION: 'after-ledger-commit:kill' });
    await listening(port);
    const messageId = randomUUID();
    const answer = await fetch(`http://127.0.0.1:${port}/inbound/rudderstack`, {
      method: 'POST',
      headers: { ...ws.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'track', userId: 'orphan', event: 'Orphan', messageId }),
    }).then(() => 'answered', () => 'no answer');
    expect(answer).toBe('no answer');
    expect(await api.exited).toBe('SIGKILL');

    // Committed, and nobody woke its dispatcher.
    const [row] = await worker.db.query('SELECT outcome FROM inbound_events WHERE workspace_id = $1 AND message_id = $2', [ws.id, messageId]);
    expect(row).toBeDefined();

    const entry = await waitUntil(async () => {
      const items = (await worker!.http.get('/inbound/events/log').set(ws.auth)).body.items as any[];
      return items.find((e) => e.message_id === messageId && e.status !== 'pending');
    }, { timeoutMs: 60_000, what: 'the sweep to get the event processed' });
    expect(entry).toMatchObject({ status: 'processed', run_ids: [expect.any(String)] });
    const inbox = await waitUntil(async () => {
      const items = (await worker!.http.get('/inbox/orphan/messages').set(ws.auth)).body.items as any[];
      return items.length ? items : undefined;
    }, { what: 'the message' });
    expect(inbox.map((m) => m.id)).toEqual([`${entry.run_ids[0]}:0`]);
    // RudderStack's retry of the unanswered request is a duplicate.
    const retry = await worker.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'track', userId: 'orphan', event: 'Orphan', messageId });
    expect(retry.body).toEqual({ messageId, duplicate: true });
  }, 120_000);
});

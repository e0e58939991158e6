import { invokeAdHoc, runReaches } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Retention (issue 11, item 11), driven by Herald's own maintenance schedule with windows of a
 * few seconds: event bodies are nulled but their ledger rows stay (a repeat is still a
 * duplicate, a replay is a 409 naming the cause); finished runs go with their steps, sent
 * messages with their history and inbox entries; what is still waiting (a run in a delay, a
 * message not yet sent) stays however old it is.
 */
const RETAIN = '3s';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({
    env: {
      HERALD_SWEEP_INTERVAL: '1s',
      HERALD_PRUNE_INTERVAL: '1s',
      HERALD_RETAIN_EVENT_BODIES: RETAIN,
      HERALD_RETAIN_RUNS: RETAIN,
      HERALD_RETAIN_MESSAGES: RETAIN,
      HERALD_RETAIN_OUTBOX: RETAIN,
    },
  });
});

afterAll(async () => {
  await herald?.stop();
});

it('prunes bodies, finished runs and sent messages after their windows, and keeps the ledger row and everything still waiting', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  const event = { type: 'identify', userId: 'ret-user', traits: { plan: 'pro' }, messageId: 'ret-event-1' };
  expect((await herald.http.post('/inbound/rudderstack').set(a).send(event)).status).toBe(202);
  const logId = await waitUntil(async () => {
    const row = (await herald.http.get('/inbound/events/log').set(a)).body.items?.find((r: any) => r.message_id === 'ret-event-1');
    return row && row.status === 'processed' ? String(row.id) : undefined;
  }, { what: 'the identify processed' });

  const finished = await invokeAdHoc(herald, a, {
    recipient: 'ret-user',
    automation: { steps: [{ action: 'send', message: { to: { user_id: 'ret-user' }, content: { title: 'Hi', body: 'there' }, routing: { channels: ['inbox'] } } }] },
  });
  await runReaches(herald, a, finished, ['PROCESSED']);
  const sent = await waitUntil(async () => {
    const items = (await herald.http.get('/messages').query({ recipient: 'ret-user' }).set(a)).body.items ?? [];
    return items.find((m: any) => m.status === 'DELIVERED');
  }, { what: 'the run’s inbox message delivered' });
  expect((await herald.http.get('/inbox/ret-user/messages').set(a)).body.items.map((m: any) => m.id)).toContain(sent.id);

  const waiting = await invokeAdHoc(herald, a, { recipient: 'ret-user', automation: { steps: [{ action: 'delay', duration: '1 hour' }] } });
  await runReaches(herald, a, waiting, ['WAITING']);
  const delayed = (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'ret-user' }, content: { title: 'Later', body: 'x' }, delay: { duration: '1 day' } } })).body.requestId;
  await waitUntil(async () => (await herald.http.get(`/messages/${delayed}`).set(a)).body.status === 'ENQUEUED', { what: 'the delayed message enqueued' });

  // The schedule prunes what passed its window: the finished run, the sent message and its inbox entry, the body.
  await waitUntil(async () => {
    const [run, message, entry] = await Promise.all([
      herald.http.get(`/automations/runs/${finished}`).set(a),
      herald.http.get(`/messages/${sent.id}`).set(a),
      herald.http.get(`/inbound/events/log/${logId}`).set(a),
    ]);
    return run.status === 404 && message.status === 404 && entry.status === 200 && entry.body.body === null;
  }, { timeoutMs: 30_000, what: 'the finished run, the sent message and the event body pruned' });

  const [steps, history, inbox] = await Promise.all([
    herald.db.query(`SELECT count(*)::int AS n FROM automation_run_steps WHERE run_id = $1`, [finished]),
    herald.db.query(`SELECT count(*)::int AS n FROM message_events WHERE workspace_id = $1 AND message_id = $2`, [ws.id, sent.id]),
    herald.http.get('/inbox/ret-user/messages').set(a),
  ]);
  expect(steps[0].n).toBe(0);
  expect(history[0].n).toBe(0);
  expect(inbox.body.items.map((m: any) => m.id)).not.toContain(sent.id);

  // The ledger row stays with its outcome: a repeat of the event is still a duplicate, a replay a 409 naming why.
  const entry = (await herald.http.get(`/inbound/events/log/${logId}`).set(a)).body;
  expect(entry).toMatchObject({ message_id: 'ret-event-1', status: 'processed', body: null });
  expect((await herald.http.post('/inbound/rudderstack').set(a).send(event)).status).toBe(202);
  await waitUntil(async () => (await herald.http.get(`/inbound/events/log/${logId}`).set(a)).body.duplicate_count === 1, { what: 'the repeat counted as a duplicate' });
  const replay = await herald.http.post(`/inbound/events/log/${logId}/replay`).set(a);
  expect(replay.status).toBe(409);
  expect(replay.body.message).toMatch(/pruned by retention/);

  // What still waits is kept once it is older than the window too (a prune ran after that).
  const pastWindow = Date.now() + 4_000;
  await waitUntil(async () => {
    const [state] = await herald.db.query(`SELECT last_run_at FROM maintenance_state WHERE name = 'prune'`);
    return state && new Date(state.last_run_at).getTime() > pastWindow;
  }, { timeoutMs: 30_000, what: 'a prune after the waiting run and message passed the window' });
  expect((await herald.http.get(`/automations/runs/${waiting}`).set(a)).body.status).toBe('WAITING');
  expect((await herald.http.get(`/messages/${delayed}`).set(a)).body.status).toBe('ENQUEUED');
  // The profile the event wrote is not subject to retention.
  expect((await herald.http.get('/profiles/ret-user').set(a)).body.profile).toMatchObject({ plan: 'pro' });
}, 90_000);

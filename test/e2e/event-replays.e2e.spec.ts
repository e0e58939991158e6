import { randomUUID } from 'node:crypto';
import { publishedTemplate } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Bulk replays of the event log against a real Temporal and Postgres: pages of 40 events and
 * continue-as-new every 2 pages, so a replay of 130 events crosses both.
 */
let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald({ env: { HERALD_REPLAY_PAGE_SIZE: '40', HERALD_REPLAY_PAGES_PER_RUN: '2' } });
});
afterAll(() => herald?.stop());

type Auth = Record<string, string>;
const enc = encodeURIComponent;

async function postEvents(auth: Auth, n: number, event: string) {
  const batch = Array.from({ length: n }, (_, i) => ({ type: 'track', messageId: randomUUID(), userId: `u${i}`, event, properties: { i } }));
  for (let i = 0; i < batch.length; i += 50) await herald.http.post('/inbound/rudderstack').set(auth).send({ batch: batch.slice(i, i + 50) }).expect(202);
  return batch.map((b) => b.messageId);
}

async function logged(auth: Auth, query: Record<string, string>, want: number) {
  await waitUntil(async () => {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = (await herald.http.get('/inbound/events/log').query({ ...query, limit: 500, cursor }).set(auth)).body;
      count += page.items.length;
      cursor = page.has_more ? page.cursor : undefined;
    } while (cursor);
    return count === want;
  }, { what: `${want} logged events matching ${JSON.stringify(query)}`, timeoutMs: 60_000 });
}

const runCount = async (workspaceId: string, source: string) =>
  Number((await herald.db.query('SELECT count(*)::int AS n FROM automation_runs WHERE workspace_id = $1 AND source = $2', [workspaceId, source]))[0].n);

describe('bulk event replay', () => {
  it('replays every matching logged event once, in pages, with progress; later events are not in it', async () => {
    const ws = await herald.newWorkspace();
    await postEvents(ws.auth, 130, 'Signed Up');
    await postEvents(ws.auth, 5, 'Other');
    await logged(ws.auth, { event: 'Signed Up', status: 'unmapped' }, 130);
    // Linked only now: the 130 were unmapped; a replay runs them through today's link.
    const templateId = await publishedTemplate(herald, ws.auth, { name: 'Replayed', steps: [{ action: 'update-profile', recipient_id: '${data.userId}', profile: { replayed: true } }] });
    await herald.http.put(`/inbound/events/${enc('track/Signed Up')}/automations/${templateId}`).set(ws.auth).expect(200);

    const created = await herald.http.post('/inbound/replays').set(ws.auth).send({ event: 'Signed Up', status: 'unmapped' }).expect(202);
    expect(created.body).toMatchObject({ status: 'RUNNING', filter: { event: 'Signed Up', status: 'unmapped' }, progress: { total: 130, processed: 0 } });
    const id = created.body.id as string;
    expect(created.body.workflow_id).toBe(`event-replay:${ws.id}:${id}`);
    await postEvents(ws.auth, 3, 'Signed Up'); // after the start: not replayed

    const done = await waitUntil(async () => {
      const r = (await herald.http.get(`/inbound/replays/${id}`).set(ws.auth)).body;
      return r.status === 'COMPLETED' ? r : undefined;
    }, { what: 'the replay completed', timeoutMs: 90_000 });
    expect(done.progress).toEqual({ total: 130, processed: 130, runs_started: 130, problems: 0 });
    expect(done.finished_at).toEqual(expect.any(String));
    // Each replayed event started exactly one run (none twice, none of the later ones).
    expect(await runCount(ws.id, 'replay/track/Signed Up')).toBe(130);
    await waitUntil(async () => (await herald.http.get('/profiles/u129').set(ws.auth)).body?.profile?.replayed === true, { what: 'a replayed run ran' });
    // The row is COMPLETED by the workflow's last activity; the workflow closes right after it.
    const workflow = await waitUntil(async () => {
      const d = await herald.temporal.client.workflow.getHandle(done.workflow_id).describe();
      return d.status.name === 'RUNNING' ? undefined : d;
    }, { what: 'the replay workflow closed' });
    expect(workflow.status.name).toBe('COMPLETED');
    expect(workflow.type).toBe('eventReplayWorkflow');

    const list = (await herald.http.get('/inbound/replays').set(ws.auth).expect(200)).body;
    expect(list.items.map((r: { id: string }) => r.id)).toEqual([id]);
    await herald.http.post(`/inbound/replays/${id}/cancel`).set(ws.auth).expect(409);
  }, 150_000);

  it('cancels a running replay: it stops after its page; a replay that matches nothing completes at once', async () => {
    const ws = await herald.newWorkspace();
    await postEvents(ws.auth, 400, 'Bulk');
    await logged(ws.auth, { event: 'Bulk' }, 400);
    const templateId = await publishedTemplate(herald, ws.auth, { name: 'Slow', steps: [{ action: 'delay', duration: '1 hour' }] });
    await herald.http.put(`/inbound/events/${enc('track/Bulk')}/automations/${templateId}`).set(ws.auth).expect(200);
    const { id } = (await herald.http.post('/inbound/replays').set(ws.auth).send({ event: 'Bulk' }).expect(202)).body;
    const canceled = (await herald.http.post(`/inbound/replays/${id}/cancel`).set(ws.auth).expect(201)).body;
    expect(canceled.status).toBe('CANCELED');
    const settled = await waitUntil(async () => {
      const w = await herald.temporal.client.workflow.getHandle(canceled.workflow_id).describe();
      return w.status.name === 'COMPLETED' ? w : undefined;
    }, { what: 'the replay workflow ended', timeoutMs: 30_000 });
    expect(settled.status.name).toBe('COMPLETED');
    const after = (await herald.http.get(`/inbound/replays/${id}`).set(ws.auth)).body;
    expect(after.status).toBe('CANCELED');
    expect(after.progress.processed).toBeLessThan(400);
    // What it counts is what it started.
    expect(await runCount(ws.id, 'replay/track/Bulk')).toBe(after.progress.runs_started);

    const empty = (await herald.http.post('/inbound/replays').set(ws.auth).send({ event: 'Never Sent' }).expect(202)).body;
    expect(empty).toMatchObject({ status: 'COMPLETED', progress: { total: 0, processed: 0 } });
  }, 120_000);

  it('refuses bad input with a 400 naming it, and unknown or forged ids with a 404', async () => {
    const ws = await herald.newWorkspace();
    const bad = [
      [{ status: 'nope' }, 'status must be one of'],
      [{ type: 'click' }, 'type must be one of'],
      [{ max_events: 0 }, 'max_events must be at least 1'],
      [{ max_events: 10_000_000 }, 'max_events must be at most'],
      [{ max_events: 'lots' }, 'max_events must be an integer'],
    ] as const;
    for (const [body, message] of bad) {
      const res = await herald.http.post('/inbound/replays').set(ws.auth).send(body).expect(400);
      expect(res.body.message).toContain(message);
    }
    for (const forged of [randomUUID(), 'not-a-uuid', "1' OR '1'='1", '%00']) {
      await herald.http.get(`/inbound/replays/${enc(forged)}`).set(ws.auth).expect(404);
      await herald.http.post(`/inbound/replays/${enc(forged)}/cancel`).set(ws.auth).expect(404);
    }
    await herald.http.get('/inbound/replays').query({ cursor: 'forged' }).set(ws.auth).expect(400);
    expect((await herald.db.query('SELECT count(*)::int AS n FROM event_replays WHERE workspace_id = $1', [ws.id]))[0].n).toBe(0);
  });
});

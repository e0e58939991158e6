import { randomUUID } from 'node:crypto';
import { messageDecided, publishedTemplate, runReaches } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 14, lists and sending to many: Courier's list API (as Segment's Courier destination
 * calls it), /send to a list and a pattern, the subscribe and send-list steps, and broadcasts
 * (batched in the broadcast workflow's activities, paced, paused, resumed, canceled), each
 * recipient messaged once, with preferences applied per recipient.
 */
type Auth = Record<string, string>;
let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.stop();
});

async function inboxTemplate(a: Auth, id = 'note', topic?: string) {
  await herald.http.put(`/notifications/${id}`).set(a).send({ name: id, ...(topic ? { subscription_topic_id: topic } : {}), channels: { inbox: { title: 'Hi {{ profile.name }}', body: 'b' } } }).expect(200);
}

const broadcastDone = (a: Auth, id: string, timeoutMs = 60_000) =>
  waitUntil(async () => {
    const b = (await herald.http.get(`/broadcasts/${id}`).set(a)).body;
    return ['COMPLETED', 'CANCELED', 'FAILED'].includes(b.status) ? b : undefined;
  }, { timeoutMs, what: `broadcast ${id} finished` });

const messagesOf = async (a: Auth, requestId: string) => {
  const out: Array<Record<string, any>> = [];
  let cursor: string | undefined;
  do {
    const page = (await herald.http.get('/messages').query({ limit: 500, ...(cursor ? { cursor } : {}) }).set(a)).body;
    out.push(...page.items.filter((m: any) => m.request_id === requestId));
    cursor = page.has_more ? page.cursor : undefined;
  } while (cursor);
  return out;
};

describe('lists (Courier shapes, as Segment calls them)', () => {
  it('Segment Sync Audience: PUT/DELETE /lists/{id}/subscriptions/{user} with no body create the list and are idempotent; POST /debug checks the key', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    expect((await herald.http.post('/debug').set(a)).status).toBe(200);
    expect((await herald.http.post('/debug').set({ Authorization: 'Bearer nope' })).status).toBe(401);
    const listId = 'pro_users-aud_2abcDEF';
    expect((await herald.http.put(`/lists/${listId}/subscriptions/user-1`).set(a)).status).toBe(204);
    expect((await herald.http.put(`/lists/${listId}/subscriptions/user-1`).set(a)).status).toBe(204);
    expect((await herald.http.put(`/lists/${listId}/subscriptions/user%402`).set(a)).status).toBe(204);
    expect((await herald.http.get(`/lists/${listId}`).set(a)).body).toMatchObject({ id: listId, name: listId });
    const subs = (await herald.http.get(`/lists/${listId}/subscriptions`).set(a)).body;
    expect(subs.items.map((s: any) => s.recipientId)).toEqual(['user-1', 'user@2']);
    expect(subs.paging).toEqual({ cursor: null, more: false });
    expect((await herald.http.delete(`/lists/${listId}/subscriptions/user-1`).set(a)).status).toBe(204);
    expect((await herald.http.delete(`/lists/${listId}/subscriptions/user-1`).set(a)).status).toBe(204);
    expect((await herald.http.get(`/lists/${listId}/subscriptions`).set(a)).body.items.map((s: any) => s.recipientId)).toEqual(['user@2']);
  });

  it('lists with dotted ids, patterns, bulk subscriptions (add and replace), paging and 400s', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    for (const id of ['product.beta.eu', 'product.beta.us', 'product.ga.eu', 'news']) await herald.http.put(`/lists/${id}`).set(a).send({ name: id.toUpperCase() }).expect(204);
    const matching = (await herald.http.get('/lists').query({ pattern: 'product.*.eu' }).set(a)).body.items.map((l: any) => l.id);
    expect(matching).toEqual(['product.beta.eu', 'product.ga.eu']);
    expect((await herald.http.get('/lists').query({ pattern: 'product.beta.*' }).set(a)).body.items.map((l: any) => l.id)).toEqual(['product.beta.eu', 'product.beta.us']);
    const page1 = (await herald.http.get('/lists').query({ limit: 2 }).set(a)).body;
    expect(page1.paging.more).toBe(true);
    const page2 = (await herald.http.get('/lists').query({ limit: 2, cursor: page1.paging.cursor }).set(a)).body;
    expect([...page1.items, ...page2.items].map((l: any) => l.id)).toEqual(['news', 'product.beta.eu', 'product.beta.us', 'product.ga.eu']);

    const recipients = Array.from({ length: 1000 }, (_, i) => ({ recipientId: `u${String(i).padStart(4, '0')}` }));
    expect((await herald.http.post('/lists/news/subscriptions').set(a).send({ recipients })).status).toBe(204);
    expect((await herald.http.post('/lists/news/subscriptions').set(a).send({ recipients: [{ recipientId: 'extra', preferences: { notifications: {} } }] })).status).toBe(204);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await herald.http.get('/lists/news/subscriptions').query({ limit: 300, ...(cursor ? { cursor } : {}) }).set(a)).body;
      all.push(...page.items.map((s: any) => s.recipientId));
      cursor = page.paging.more ? page.paging.cursor : null;
    } while (cursor);
    expect(all.length).toBe(1001);
    expect((await herald.http.put('/lists/news/subscriptions').set(a).send({ recipients: [{ recipientId: 'only' }] })).status).toBe(204);
    expect((await herald.http.get('/lists/news/subscriptions').set(a)).body.items.map((s: any) => s.recipientId)).toEqual(['only']);

    for (const [req, pattern] of [
      [herald.http.put('/lists/bad%20id').set(a).send({ name: 'x' }), /list id must be dotted segments/],
      [herald.http.put('/lists/a..b').set(a).send({ name: 'x' }), /list id must be dotted segments/],
      [herald.http.put('/lists/ok').set(a).send({}), /name must be a non-empty string/],
      [herald.http.post('/lists/ok/subscriptions').set(a).send({ recipients: [...recipients, { recipientId: 'x' }] }), /at most 1000/],
      [herald.http.post('/lists/ok/subscriptions').set(a).send({ recipients: [{ recipientId: 7 }] }), /recipients\[0\]\.recipientId must be a user id/],
      [herald.http.get('/lists').query({ pattern: 'a.**' }).set(a), /list_pattern must be dotted segments/],
      [herald.http.get('/lists').query({ cursor: 'Zm9v' }).set(a), /cursor is not valid/],
    ] as const) {
      const res = await req;
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(pattern) });
    }
    expect((await herald.http.get('/lists/nope').set(a)).status).toBe(404);
    expect((await herald.http.delete('/lists/news').set(a)).status).toBe(204);
    expect((await herald.http.get('/lists/news/subscriptions').set(a)).status).toBe(404);
  });
});

describe('sending to many', () => {
  it('/send to a list and to a pattern: one message per recipient (<requestId>:<userId>), preferences per recipient', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await herald.http.put('/preferences/topics/news').set(a).send({ name: 'News' }).expect(200);
    await inboxTemplate(a, 'digest', 'news');
    await herald.http.post('/lists/team.eu/subscriptions').set(a).send({ recipients: [{ recipientId: 'ada' }, { recipientId: 'bo' }, { recipientId: 'cy' }] }).expect(204);
    await herald.http.post('/lists/team.us/subscriptions').set(a).send({ recipients: [{ recipientId: 'cy' }, { recipientId: 'di' }] }).expect(204);
    await herald.http.put('/users/bo/preferences/news').set(a).send({ topic: { status: 'OPTED_OUT' } }).expect(200);

    const toList = (await herald.http.post('/send').set(a).send({ message: { to: { list_id: 'team.eu' }, template: 'digest' } }).expect(202)).body.requestId;
    const b = await broadcastDone(a, toList);
    expect(b).toMatchObject({ kind: 'send', status: 'COMPLETED', progress: { targeted: 3, sent: 2, filtered: 1, failed: 0, pending: 0 } });
    const msgs = await messagesOf(a, toList);
    expect(msgs.map((m) => [m.id, m.status]).sort()).toEqual([[`${toList}:ada`, 'DELIVERED'], [`${toList}:bo`, 'FILTERED'], [`${toList}:cy`, 'DELIVERED']]);

    // A pattern reaches each user once, however many of the lists they are on.
    const toPattern = (await herald.http.post('/send').set(a).send({ message: { to: { list_pattern: 'team.*' }, template: 'digest' } }).expect(202)).body.requestId;
    expect((await broadcastDone(a, toPattern)).progress).toEqual({ targeted: 4, sent: 3, filtered: 1, failed: 0, pending: 0 });
    expect((await messagesOf(a, toPattern)).map((m) => m.recipient).sort()).toEqual(['ada', 'bo', 'cy', 'di']);

    for (const [to, pattern] of [
      [{ list_id: 'team.eu', user_id: 'x' }, /one recipient or one group/],
      [{ list_pattern: 'team.**' }, /list_pattern must be dotted segments/],
      [{ list_id: 'team.eu', list_pattern: 'team.*' }, /exactly one of list_id, list_pattern, audience_id/],
    ] as const) {
      const res = await herald.http.post('/send').set(a).send({ message: { to, template: 'digest' } });
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(pattern) });
    }
  });

  it('/send to an audience and a broadcast to it reach its current members', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await inboxTemplate(a);
    for (const [u, plan] of [['p1', 'pro'], ['p2', 'pro'], ['f1', 'free']]) await herald.http.put(`/profiles/${u}`).set(a).send({ profile: { plan } }).expect(200);
    await herald.http.put('/audiences/pros').set(a).send({ name: 'Pros', filter: ['profile.plan', 'is equal', 'pro'] }).expect(200);
    await waitUntil(async () => {
      const au = (await herald.http.get('/audiences/pros').set(a)).body;
      return au.status === 'READY' && au.member_count === 2 ? true : undefined;
    }, { what: 'audience computed' });
    const requestId = (await herald.http.post('/send').set(a).send({ message: { to: { audience_id: 'pros' }, template: 'note' } }).expect(202)).body.requestId;
    expect((await broadcastDone(a, requestId)).progress).toMatchObject({ targeted: 2, sent: 2 });
    expect((await messagesOf(a, requestId)).map((m) => m.recipient).sort()).toEqual(['p1', 'p2']);
    const b = (await herald.http.post('/broadcasts').set(a).send({ name: 'Pros', audience_id: 'pros', template: 'note', start: true }).expect(201)).body;
    expect((await broadcastDone(a, b.id)).progress).toMatchObject({ targeted: 2, sent: 2 });
  });

  it('the subscribe and send-list steps in an automation', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await inboxTemplate(a, 'welcome');
    const join = await publishedTemplate(herald, a, { name: 'join', steps: [{ action: 'subscribe', list_id: 'beta.testers' }] });
    for (const user of ['ed', 'flo']) {
      const run = (await herald.http.post(`/automations/${join}/invoke`).set(a).send({ recipient: user }).expect(202)).body.runId;
      await runReaches(herald, a, run, ['PROCESSED']);
    }
    expect((await herald.http.get('/lists/beta.testers/subscriptions').set(a)).body.items.map((s: any) => s.recipientId)).toEqual(['ed', 'flo']);
    const blast = await publishedTemplate(herald, a, { name: 'blast', steps: [{ action: 'send-list', list: 'beta.testers', template: 'welcome' }] });
    const run = (await herald.http.post(`/automations/${blast}/invoke`).set(a).send({ recipient: 'ops' }).expect(202)).body.runId;
    await runReaches(herald, a, run, ['PROCESSED']);
    const steps = (await herald.http.get(`/automations/runs/${run}/steps`).set(a)).body.items;
    const requestId = steps[0].result.request_id;
    expect((await broadcastDone(a, requestId)).progress).toMatchObject({ targeted: 2, sent: 2 });
  });
});

describe('broadcasts', () => {
  it('a broadcast at a set rate reaches every recipient exactly once; pause holds and resume continues', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await inboxTemplate(a);
    const n = 120;
    await herald.http.post('/lists/everyone/subscriptions').set(a).send({ recipients: Array.from({ length: n }, (_, i) => ({ recipientId: `r${i}` })) }).expect(204);
    const created = await herald.http.post('/broadcasts').set(a).send({ name: 'Launch', list_id: 'everyone', template: 'note', rate_per_second: 40 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'DRAFT', rate_per_second: 40, progress: { targeted: 0 } });
    const id = created.body.id;
    const started = Date.now();
    expect((await herald.http.post(`/broadcasts/${id}/start`).set(a)).body.status).toBe('RUNNING');
    expect((await herald.http.post(`/broadcasts/${id}/start`).set(a)).status).toBe(409);
    // Pause once some went out; the count stops moving (a chunk in flight may still finish).
    await waitUntil(async () => ((await herald.http.get(`/broadcasts/${id}`).set(a)).body.progress.sent >= 20 ? true : undefined), { what: '20 sent' });
    expect((await herald.http.post(`/broadcasts/${id}/pause`).set(a)).body.status).toBe('PAUSED');
    const settled = await waitUntil(async () => {
      const one = (await herald.http.get(`/broadcasts/${id}`).set(a)).body.progress.sent;
      await new Promise((r) => setTimeout(r, 1500)); // two readings apart: the in-flight chunk has ended
      const two = (await herald.http.get(`/broadcasts/${id}`).set(a)).body.progress.sent;
      return one === two ? two : undefined;
    }, { what: 'paused broadcast settled' });
    expect(settled).toBeLessThan(n);
    expect((await herald.http.post(`/broadcasts/${id}/resume`).set(a)).body.status).toBe('RUNNING');
    const done = await broadcastDone(a, id);
    const elapsed = (Date.now() - started) / 1000;
    expect(done).toMatchObject({ status: 'COMPLETED', progress: { targeted: n, sent: n, filtered: 0, failed: 0, pending: 0 } });
    // 120 at 40/s takes at least 3 s of sending.
    expect(elapsed).toBeGreaterThanOrEqual(2.5);
    const msgs = await messagesOf(a, id);
    expect(msgs.length).toBe(n);
    expect(new Set(msgs.map((m) => m.recipient)).size).toBe(n);
    expect(msgs.every((m) => m.status === 'DELIVERED')).toBe(true);
    expect((await herald.http.get('/broadcasts').set(a)).body.items.map((b: any) => b.id)).toEqual([id]);
  });

  it('scheduled (send_at), per-recipient local time, cancel, automation targets and 400s', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await inboxTemplate(a);
    await herald.http.post('/lists/later/subscriptions').set(a).send({ recipients: [{ recipientId: 'oslo' }, { recipientId: 'tokyo' }] }).expect(204);
    await herald.http.put('/profiles/oslo').set(a).send({ profile: { timezone: 'Europe/Oslo' } }).expect(200);
    await herald.http.put('/profiles/tokyo').set(a).send({ profile: { zoneinfo: 'Asia/Tokyo' } }).expect(200);
    const later = (await herald.http.post('/broadcasts').set(a).send({ name: 'Later', list_id: 'later', template: 'note', send_at: '2099-01-01T09:00', use_recipient_timezone: true, start: true })).body;
    expect(later.status).toBe('SCHEDULED');
    const due = await waitUntil(async () => {
      const rows = (await herald.db.query(`SELECT user_id, due_at FROM broadcast_recipients WHERE workspace_id = $1 AND broadcast_id = $2 ORDER BY user_id`, [ws.id, later.id])) as Array<{ user_id: string; due_at: Date }>;
      return rows.length === 2 ? rows.map((r) => [r.user_id, r.due_at.toISOString()]) : undefined;
    }, { what: 'recipients taken' });
    expect(due).toEqual([['oslo', '2099-01-01T08:00:00.000Z'], ['tokyo', '2099-01-01T00:00:00.000Z']]);
    expect((await herald.http.post(`/broadcasts/${later.id}/cancel`).set(a)).body.status).toBe('CANCELED');
    expect((await herald.http.post(`/broadcasts/${later.id}/cancel`).set(a)).status).toBe(409);
    expect((await herald.http.get(`/broadcasts/${later.id}`).set(a)).body.progress).toMatchObject({ targeted: 2, sent: 0 });

    const soon = new Date(Date.now() + 3000).toISOString();
    const timed = (await herald.http.post('/broadcasts').set(a).send({ name: 'Soon', list_id: 'later', template: 'note', send_at: soon, start: true })).body;
    expect(timed.status).toBe('SCHEDULED');
    const timedDone = await broadcastDone(a, timed.id);
    expect(timedDone.progress.sent).toBe(2);
    expect(Date.parse(timedDone.started_at)).toBeGreaterThanOrEqual(Date.parse(soon) - 1000);

    const flow = await publishedTemplate(herald, a, { name: 'flow', steps: [{ action: 'send', template: 'note' }] });
    const viaRuns = (await herald.http.post('/broadcasts').set(a).send({ name: 'Runs', list_id: 'later', automation: flow, start: true })).body;
    expect((await broadcastDone(a, viaRuns.id)).progress).toMatchObject({ targeted: 2, sent: 2 });
    const runs = (await herald.http.get('/automations/runs').query({ template_id: flow }).set(a)).body.items;
    expect(runs.map((r: any) => r.recipient).sort()).toEqual(['oslo', 'tokyo']);

    for (const [body, pattern] of [
      [{ list_id: 'later', template: 'note' }, /name must be a non-empty string/],
      [{ name: 'x', template: 'note' }, /exactly one of list_id, list_pattern, audience_id or tenant_id/],
      [{ name: 'x', list_id: 'later' }, /exactly one of template, automation or sequence/],
      [{ name: 'x', list_id: 'later', template: 'note', rate_per_second: 0 }, /rate_per_second must be a whole number/],
      [{ name: 'x', list_id: 'later', template: 'note', send_at: 'tomorrow' }, /send_at must be an ISO-8601 date-time/],
      [{ name: 'x', list_id: 'later', template: 'note', use_recipient_timezone: true }, /needs send_at as a local date-time/],
      [{ name: 'x', list_id: 'later', template: 'note', use_recipient_timezone: true, send_at: '2030-01-01T09:00:00Z' }, /without an offset/],
    ] as const) {
      const res = await herald.http.post('/broadcasts').set(a).send(body);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(pattern) });
    }
    expect((await herald.http.get(`/broadcasts/${randomUUID()}`).set(a)).status).toBe(404);
  });
});

import { invokeAdHoc, messageDecided, runReaches } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 13 (preferences, first part): subscription topics and user preferences in Courier's
 * shapes, decided at send time for /send and an automation's send step: an opted-out recipient's
 * message ends FILTERED (UNSUBSCRIBED, or OPT_IN_REQUIRED for an opt-in topic), REQUIRED topics
 * ignore opt-outs, custom routing restricts channels.
 */
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, SMTP_FROM: 'Herald <noreply@herald.test>' } });
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

const decided = (auth: Record<string, string>, id: string) => messageDecided(herald, auth, id);

it('an opted-out user gets FILTERED (UNSUBSCRIBED) on /send and in an automation; REQUIRED ignores it; opting in again sends', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  expect((await herald.http.put('/subscription-topics/news').set(a).send({ name: 'News', default_status: 'OPTED_IN' })).status).toBe(200);
  await herald.http.put('/subscription-topics/security').set(a).send({ name: 'Security', default_status: 'REQUIRED' }).expect(200);
  await herald.http.put('/notifications/digest').set(a).send({ name: 'Digest', subscription_topic_id: 'news', channels: { inbox: { title: 'Digest', body: 'x' } } }).expect(200);
  expect((await herald.http.get('/notifications/digest').set(a)).body.subscription_topic_id).toBe('news');

  // Courier's shapes.
  expect((await herald.http.get('/users/pat/preferences/news').set(a)).body).toMatchObject({ topic: { topic_id: 'news', status: 'OPTED_IN', default_status: 'OPTED_IN', has_custom_routing: false, custom_routing: [] } });
  const put = await herald.http.put('/users/pat/preferences/news').set(a).send({ topic: { status: 'OPTED_OUT' } });
  expect(put.body).toMatchObject({ topic: { topic_id: 'news', status: 'OPTED_OUT', source: 'api' } });
  const all = (await herald.http.get('/users/pat/preferences').set(a)).body;
  expect(all.paging).toEqual({ more: false, cursor: null });
  expect(all.items.map((p: any) => [p.topic_id, p.status])).toEqual([['news', 'OPTED_OUT'], ['security', 'REQUIRED']]);

  const viaSend = await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pat' }, template: 'digest' } }).expect(202)).body.requestId);
  expect({ status: viaSend.status, reason: viaSend.reason }).toEqual({ status: 'FILTERED', reason: 'UNSUBSCRIBED' });
  const history = (await herald.http.get(`/messages/${viaSend.id}/history`).set(a)).body.items.map((h: any) => h.status);
  expect(history).toEqual(['ENQUEUED', 'FILTERED']);

  const run = await invokeAdHoc(herald, a, { recipient: 'pat', automation: { steps: [{ action: 'send', template: 'digest' }] } });
  await runReaches(herald, a, run, ['PROCESSED']);
  const runMessages = (await herald.http.get('/messages').query({ run_id: run }).set(a)).body.items;
  expect(runMessages.map((m: any) => [m.status, m.reason])).toEqual([['FILTERED', 'UNSUBSCRIBED']]);

  // A send's own topic overrides the template's: a REQUIRED topic goes through the opt-out.
  const required = await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pat' }, template: 'digest', topic: 'security' } }).expect(202)).body.requestId);
  expect(required.status).toBe('DELIVERED');

  // Another user, and the same user after opting in again, get it.
  expect((await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'sam' }, template: 'digest' } }).expect(202)).body.requestId)).status).toBe('DELIVERED');
  await herald.http.put('/users/pat/preferences/news').set(a).send({ topic: { status: 'OPTED_IN' } }).expect(200);
  expect((await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pat' }, template: 'digest' } }).expect(202)).body.requestId)).status).toBe('DELIVERED');
});

it('an opt-in topic filters users who never opted in (OPT_IN_REQUIRED); custom routing restricts channels', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await herald.http.put('/subscription-topics/beta').set(a).send({ name: 'Beta', default_status: 'OPTED_OUT' }).expect(200);
  await herald.http.put('/notifications/beta').set(a).send({ name: 'Beta', subscription_topic_id: 'beta', channels: { email: { subject: 'Beta', text: 'x' }, inbox: { title: 'Beta', body: 'x' } }, routing: { method: 'all', channels: ['email', 'inbox'] } }).expect(200);
  await herald.http.put('/profiles/kim').set(a).send({ profile: { email: 'kim@example.com' } }).expect(200);
  const never = await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'kim' }, template: 'beta' } }).expect(202)).body.requestId);
  expect({ status: never.status, reason: never.reason }).toEqual({ status: 'FILTERED', reason: 'OPT_IN_REQUIRED' });

  await herald.http.put('/users/kim/preferences/beta').set(a).send({ topic: { status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['inbox'] } }).expect(200);
  const inboxOnly = await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'kim' }, template: 'beta' } }).expect(202)).body.requestId);
  expect(inboxOnly.status).toBe('DELIVERED');
  expect(inboxOnly.channels).toEqual(['inbox']);
  expect(smtp.envelope).not.toContain('kim@example.com');
});

it('refuses bad topics and preferences with a 400 naming the field, and an unknown topic with a 404', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  expect((await herald.http.put('/subscription-topics/t').set(a).send({ name: 'T', default_status: 'MAYBE' })).body.message).toMatch(/default_status must be one of/);
  expect((await herald.http.put('/subscription-topics/t').set(a).send({ default_status: 'OPTED_IN' })).body.message).toMatch(/name must be/);
  expect((await herald.http.put('/subscription-topics/t').set(a).send({ name: 'T', allowed_channels: ['fax'] })).body.message).toMatch(/allowed_channels must be a list of/);
  expect((await herald.http.put('/users/u/preferences/nope').set(a).send({ topic: { status: 'OPTED_OUT' } })).status).toBe(404);
  await herald.http.put('/subscription-topics/t').set(a).send({ name: 'T' }).expect(200);
  expect((await herald.http.put('/users/u/preferences/t').set(a).send({ topic: { status: 'REQUIRED' } })).body.message).toMatch(/topic.status must be OPTED_IN or OPTED_OUT/);
  expect((await herald.http.put('/users/u/preferences/t').set(a).send({})).status).toBe(400);
  expect((await herald.http.put('/users/u/preferences/t').set(a).send({ topic: { status: 'OPTED_IN', custom_routing: 'email' } })).body.message).toMatch(/custom_routing must be a list/);
});

it("tenant defaults apply to the tenant's members, and a member's own choice wins", async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await herald.http.put('/subscription-topics/news').set(a).send({ name: 'News', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.put('/notifications/digest').set(a).send({ name: 'Digest', subscription_topic_id: 'news', channels: { inbox: { title: 'Digest', body: 'x' } } }).expect(200);
  await herald.http.put('/tenants/acme').set(a).send({ name: 'Acme' }).expect(200);
  for (const u of ['m1', 'm2']) await herald.http.put(`/users/${u}/tenants/acme`).set(a).send({ profile: {} }).expect(200);
  const def = await herald.http.put('/tenants/acme/default_preferences/items/news').set(a).send({ status: 'OPTED_OUT' });
  expect(def.body).toMatchObject({ id: 'news', status: 'OPTED_OUT', has_custom_routing: false });
  await herald.http.put('/users/m2/preferences/news').set(a).send({ topic: { status: 'OPTED_IN' } }).expect(200);

  const requestId = (await herald.http.post('/send').set(a).send({ message: { to: { tenant_id: 'acme' }, template: 'digest' } }).expect(202)).body.requestId;
  const byUser = await waitUntil(async () => {
    const items = ((await herald.http.get('/messages').set(a)).body.items as any[]).filter((m) => m.status !== 'ENQUEUED');
    return items.length >= 2 ? Object.fromEntries(items.map((m) => [m.recipient, [m.status, m.reason]])) : undefined;
  }, { what: `the fan-out of ${requestId} decided` });
  expect(byUser).toEqual({ m1: ['FILTERED', 'UNSUBSCRIBED'], m2: ['DELIVERED', null] });

  // Outside the tenant's context, the topic's default applies to m1.
  expect((await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'm1' }, template: 'digest' } }).expect(202)).body.requestId)).status).toBe('DELIVERED');
  expect((await herald.http.delete('/tenants/acme/default_preferences/items/news').set(a)).status).toBe(204);
  expect((await herald.http.get('/tenants/acme/default_preferences/items/news').set(a)).status).toBe(404);
});

it('one-click unsubscribe: List-Unsubscribe headers on a real email, POST opts out with no login, a forged token changes nothing, REQUIRED has no header', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await herald.http.put('/subscription-topics/tips').set(a).send({ name: 'Tips', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.put('/subscription-topics/billing').set(a).send({ name: 'Billing', default_status: 'REQUIRED' }).expect(200);
  await herald.http.put('/notifications/tip').set(a).send({ name: 'Tip', subscription_topic_id: 'tips', channels: { email: { subject: 'Tip', text: 'Leave: {{ unsubscribe_url }}' } } }).expect(200);
  await herald.http.put('/notifications/invoice').set(a).send({ name: 'Invoice', subscription_topic_id: 'billing', channels: { email: { subject: 'Invoice', text: 'x' } } }).expect(200);
  await herald.http.put('/profiles/lee').set(a).send({ profile: { email: 'lee@example.com' } }).expect(200);
  await herald.http.put('/profiles/max').set(a).send({ profile: { email: 'max@example.com' } }).expect(200);

  const before = smtp.messages.length;
  await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'lee' }, template: 'tip' } }).expect(202)).body.requestId);
  await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'lee' }, template: 'invoice' } }).expect(202)).body.requestId);
  const [tip, invoice] = smtp.messages.slice(before);
  // The raw header lines (mailparser folds List-* headers into a structure).
  const raw = (mail: typeof tip, name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, '');
  const header = raw(tip, 'list-unsubscribe') ?? '';
  expect(header).toMatch(/^<http:\/\/.+\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/);
  expect(raw(tip, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
  const url = header.slice(1, -1);
  expect(tip.text).toContain(url);
  expect(raw(invoice, 'list-unsubscribe')).toBeUndefined();
  const path = new URL(url).pathname;

  // A link scanner's GET changes nothing; it shows a form that POSTs.
  const page = await herald.http.get(path);
  expect(page.status).toBe(200);
  expect(page.text).toContain('<form method="post"');
  expect((await herald.http.get('/users/lee/preferences/tips').set(a)).body.topic.status).toBe('OPTED_IN');

  // Forged: the token changed to another user, or its signature altered.
  const [payload, sig] = path.slice(3).split('.');
  const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), u: 'max' })).toString('base64url');
  expect((await herald.http.post(`/u/${other}.${sig}`).type('form').send('List-Unsubscribe=One-Click')).status).toBe(404);
  expect((await herald.http.post(`/u/${payload}.${sig.slice(0, -2)}xx`).type('form').send('List-Unsubscribe=One-Click')).status).toBe(404);
  expect((await herald.http.get('/users/max/preferences/tips').set(a)).body.topic.status).toBe('OPTED_IN');

  // The one-click POST, as a mail client sends it: no key, a form body.
  const post = await herald.http.post(path).type('form').send('List-Unsubscribe=One-Click');
  expect(post.status).toBe(200);
  expect((await herald.http.get('/users/lee/preferences/tips').set(a)).body.topic).toMatchObject({ status: 'OPTED_OUT', source: 'link' });
  const next = await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'lee' }, template: 'tip' } }).expect(202)).body.requestId);
  expect({ status: next.status, reason: next.reason }).toEqual({ status: 'FILTERED', reason: 'UNSUBSCRIBED' });
  // Max was not touched.
  expect((await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'max' }, template: 'tip' } }).expect(202)).body.requestId)).status).toBe('SENT');
});

import { createHmac, randomUUID } from 'node:crypto';
import { invokeAdHoc, runReaches } from '../support/automations';
import { startHttpSink } from '../support/http-sink';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

let herald: TestHerald;
let smtp: SmtpSink;
const PUBLIC_URL = 'http://herald.test';

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    env: { SMTP_URL: smtp.url, SMTP_FROM: 'Herald Test <noreply@herald.test>', HERALD_PUBLIC_URL: PUBLIC_URL, HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' },
  });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

type Auth = Record<string, string>;

const WELCOME = {
  name: 'Welcome',
  channels: {
    email: {
      subject: 'Welcome, {{ profile.name }}!',
      html: '<p>Hi {{ profile.name }}, your plan is {{ data.plan }}{{ data.missing }}.</p><a href="https://example.com/start?x=1&y=2">Start</a> <a href="mailto:help@example.com">help</a>',
      text: 'Hi {{ profile.name }}',
    },
    inbox: { title: 'Welcome {{ profile.name }}', body: 'Plan {{ data.plan }}', action_url: 'https://example.com/start' },
  },
  routing: { method: 'single', channels: ['email', 'inbox'] },
};

async function messageReaches(auth: Auth, id: string, statuses: string[], timeoutMs = 30_000) {
  return waitUntil(async () => {
    const res = await herald.http.get(`/messages/${encodeURIComponent(id)}`).set(auth);
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  }, { timeoutMs, what: `message ${id} to reach ${statuses.join('/')}` });
}

async function historyOf(auth: Auth, id: string): Promise<string[]> {
  return (await herald.http.get(`/messages/${encodeURIComponent(id)}/history`).set(auth)).body.items.map((i: any) => i.status);
}

describe('notification templates', () => {
  it('PUT/GET/list/DELETE, with Liquid checked on save', async () => {
    const ws = await herald.newWorkspace();
    const put = await herald.http.put('/notifications/welcome').set(ws.auth).send(WELCOME);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'welcome', name: 'Welcome', routing: { method: 'single', channels: ['email', 'inbox'] } });
    expect((await herald.http.get('/notifications/welcome').set(ws.auth)).body.channels.email.subject).toBe('Welcome, {{ profile.name }}!');
    expect((await herald.http.get('/notifications').set(ws.auth)).body.items.map((n: any) => n.id)).toEqual(['welcome']);

    const broken = await herald.http.put('/notifications/broken').set(ws.auth).send({ name: 'x', channels: { email: { subject: 'Hi {% if profile.name %}', text: 't' } } });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toMatch(/^channels\.email\.subject: /);
    const filter = await herald.http.put('/notifications/broken').set(ws.auth).send({ name: 'x', channels: { inbox: { title: '{{ x | nosuchfilter }}', body: '' } } });
    expect(filter.status).toBe(400);
    expect(filter.body.message).toMatch(/^channels\.inbox\.title: /);
    const shape = await herald.http.put('/notifications/broken').set(ws.auth).send({ name: 'x', channels: { sms: { body: 'x' } } });
    expect(shape.status).toBe(400);
    const noBody = await herald.http.put('/notifications/broken').set(ws.auth).send({ name: 'x', channels: { email: { subject: 's' } } });
    expect(noBody.body.message).toContain('channels.email.html: email needs html or text');
    await herald.http.get('/notifications/broken').set(ws.auth).expect(404);

    await herald.http.delete('/notifications/welcome').set(ws.auth).expect(204);
    await herald.http.get('/notifications/welcome').set(ws.auth).expect(404);
  });
});

describe('email, opens and clicks', () => {
  it('sends the rendered email with a tracking pixel and rewritten links; the pixel marks OPENED, the link CLICKED and redirects', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/welcome').set(ws.auth).send(WELCOME).expect(200);
    await herald.http.put('/profiles/ada').set(ws.auth).send({ profile: { name: 'Ada', email: 'ada@example.com' } }).expect(200);
    const before = smtp.messages.length;
    const res = await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'ada' }, template: 'welcome', data: { plan: 'pro' } } });
    expect(res.status).toBe(202);
    const id = res.body.requestId;
    const sent = await messageReaches(ws.auth, id, ['SENT']);
    expect(sent).toMatchObject({ id, recipient: 'ada', notification: 'welcome', channels: ['email', 'inbox'], providers: { email: { provider: 'smtp' } } });
    expect(typeof sent.sent).toBe('number');

    const mails = smtp.messages.slice(before).filter((m) => m.headers.get('x-herald-message-id') === id);
    expect(mails).toHaveLength(1);
    const mail = mails[0];
    expect(mail.subject).toBe('Welcome, Ada!');
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('ada@example.com');
    expect(mail.messageId).toContain(id);
    const html = String(mail.html);
    expect(html).toContain('Hi Ada, your plan is pro.');
    expect(html).toContain('href="mailto:help@example.com"');
    expect(html).not.toContain('https://example.com/start');
    const pixel = /<img src="http:\/\/herald\.test(\/t\/o\/[^"]+)"/.exec(html)![1];
    const link = /<a href="http:\/\/herald\.test(\/t\/c\/[^"]+)"/.exec(html)![1];

    const opened = await herald.http.get(pixel);
    expect(opened.status).toBe(200);
    expect(opened.headers['content-type']).toBe('image/gif');
    expect((await messageReaches(ws.auth, id, ['OPENED'])).opened).toEqual(expect.any(Number));

    const clicked = await herald.http.get(link).redirects(0);
    expect(clicked.status).toBe(302);
    expect(clicked.headers.location).toBe('https://example.com/start?x=1&y=2');
    await messageReaches(ws.auth, id, ['CLICKED']);
    expect(await historyOf(ws.auth, id)).toEqual(['ENQUEUED', 'SENT', 'OPENED', 'CLICKED']);

    // Forged or tampered tokens go nowhere.
    await herald.http.get('/t/c/forged.token').redirects(0).expect(404);
    const [payload, signature] = link.slice('/t/c/'.length).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const evil = Buffer.from(JSON.stringify({ ...claims, u: 'https://evil.example' })).toString('base64url');
    await herald.http.get(`/t/c/${evil}.${signature}`).redirects(0).expect(404);
    await herald.http.get(`/t/o/${link.slice('/t/c/'.length)}`).expect(404);
  });

  it('an automation send step delivers through the same channels, with the run and step as message id', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/welcome').set(ws.auth).send(WELCOME).expect(200);
    await herald.http.put('/profiles/bo').set(ws.auth).send({ profile: { name: 'Bo', email: 'bo@example.com' } }).expect(200);
    const runId = await invokeAdHoc(herald, ws.auth, { recipient: 'bo', data: { plan: 'team' }, automation: { steps: [{ action: 'send', template: 'welcome' }] } });
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    const listed = await herald.http.get('/messages').set(ws.auth).query({ run_id: runId });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ id: `${runId}:0`, status: 'SENT', run_id: runId, recipient: 'bo' });
    const mail = smtp.messages.find((m) => m.headers.get('x-herald-message-id') === `${runId}:0`)!;
    expect(mail.subject).toBe('Welcome, Bo!');
    expect(String(mail.html)).toContain('your plan is team');
  });
});

describe('routing', () => {
  it('UNMAPPED for an unknown template, UNROUTABLE when no channel can reach the recipient', async () => {
    const ws = await herald.newWorkspace();
    const unmapped = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'x' }, template: 'nope' } })).body.requestId;
    expect((await messageReaches(ws.auth, unmapped, ['UNMAPPED'])).reason).toBe('notification "nope" not found');
    await herald.http.put('/notifications/mail-only').set(ws.auth).send({ name: 'm', channels: { email: { subject: 's', text: 't' } } }).expect(200);
    const unroutable = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'no-email' }, template: 'mail-only' } })).body.requestId;
    expect((await messageReaches(ws.auth, unroutable, ['UNROUTABLE'])).reason).toBe('no reachable channel (email: no email address)');
    expect(await historyOf(ws.auth, unroutable)).toEqual(['ENQUEUED', 'UNROUTABLE']);
  });

  it("routing all sends on every channel; an email-only recipient gets email only; inbox is read through the API", async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/both').set(ws.auth).send({ ...WELCOME, routing: { method: 'all', channels: ['email', 'inbox'] } }).expect(200);
    await herald.http.put('/profiles/cy').set(ws.auth).send({ profile: { name: 'Cy', email: 'cy@example.com' } }).expect(200);
    const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'cy' }, template: 'both', data: { plan: 'p' } } })).body.requestId;
    const message = await messageReaches(ws.auth, id, ['DELIVERED']);
    expect(Object.keys(message.providers).sort()).toEqual(['email', 'inbox']);
    expect(smtp.messages.filter((m) => m.headers.get('x-herald-message-id') === id)).toHaveLength(1);
    const inbox = await herald.http.get('/inbox/cy/messages').set(ws.auth);
    expect(inbox.body.items).toEqual([expect.objectContaining({ id, title: 'Welcome Cy', body: 'Plan p', action_url: 'https://example.com/start', read: false })]);

    await herald.http.post(`/inbox/messages/${id}/read`).set(ws.auth).expect(200);
    expect((await herald.http.post(`/inbox/messages/${id}/opened`).set(ws.auth)).body.status).toBe('OPENED');
    expect((await herald.http.post(`/inbox/messages/${id}/clicked`).set(ws.auth)).body.status).toBe('CLICKED');
    expect((await herald.http.get('/inbox/cy/messages').set(ws.auth)).body.items[0]).toMatchObject({ read: true, opened: true, clicked: true });
    expect(await historyOf(ws.auth, id)).toEqual(['ENQUEUED', 'SENT', 'DELIVERED', 'OPENED', 'CLICKED']);

    const emailOnly = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { email: 'guest@example.com' }, content: { title: 'Hello guest', body: 'Plain body' } } })).body.requestId;
    await messageReaches(ws.auth, emailOnly, ['SENT']);
    const guestMail = smtp.messages.find((m) => m.headers.get('x-herald-message-id') === emailOnly)!;
    expect(guestMail.subject).toBe('Hello guest');
    expect(guestMail.text?.trim()).toBe('Plain body');
    await herald.http.post('/inbox/messages/nope/opened').set(ws.auth).expect(404);
  });

  it('a tenant send reaches every member once', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/news').set(ws.auth).send({ name: 'News', channels: { email: { subject: 'News for {{ tenant.name }}', text: 'Hi {{ profile.name }}' } } }).expect(200);
    await herald.http.put('/tenants/acme').set(ws.auth).send({ name: 'Acme' }).expect(200);
    const members = ['m1', 'm2', 'm3'];
    for (const m of members) {
      await herald.http.put(`/profiles/${m}`).set(ws.auth).send({ profile: { name: m.toUpperCase(), email: `${m}@acme.test` } }).expect(200);
      await herald.http.put(`/users/${m}/tenants/acme`).set(ws.auth).send({}).expect(200);
    }
    const requestId = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { tenant_id: 'acme' }, template: 'news' } })).body.requestId;
    for (const m of members) await messageReaches(ws.auth, `${requestId}:${m}`, ['SENT']);
    const mails = smtp.messages.filter((mail) => String(mail.headers.get('x-herald-message-id') ?? '').startsWith(requestId));
    expect(mails.map((mail) => (mail.to && 'text' in mail.to ? mail.to.text : '')).sort()).toEqual(['m1@acme.test', 'm2@acme.test', 'm3@acme.test']);
    expect(mails.every((mail) => mail.subject === 'News for Acme')).toBe(true);
  });
});

describe('webhook channel', () => {
  it('signs the body; a 500 then 200 retries and delivers once, with the message id as Idempotency-Key', async () => {
    const ws = await herald.newWorkspace();
    const sink = await startHttpSink([500]);
    try {
      const { secret } = (await herald.http.post('/webhooks/signing-secret').set(ws.auth)).body;
      expect(secret).toMatch(/^whsec_/);
      expect((await herald.http.get('/webhooks/signing-secret').set(ws.auth)).body.secret).toBe(`${secret.slice(0, 6)}…`);
      await herald.http.put('/notifications/hook').set(ws.auth).send({ name: 'Hook', channels: { webhook: { body: { text: 'Order {{ data.order }} for {{ recipient }}' } } } }).expect(200);
      await herald.http.put('/profiles/wh').set(ws.auth).send({ profile: { webhook_url: `${sink.url}/hooks/herald` } }).expect(200);
      const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'wh' }, template: 'hook', data: { order: 42 } } })).body.requestId;
      await messageReaches(ws.auth, id, ['DELIVERED']);
      expect(sink.requests.map((r) => r.url)).toEqual(['/hooks/herald', '/hooks/herald']);
      const last = sink.requests[1];
      expect(last.headers['idempotency-key']).toBe(id);
      expect(sink.requests[0].headers['idempotency-key']).toBe(id);
      expect(JSON.parse(last.body)).toEqual({ message_id: id, recipient: 'wh', notification: 'hook', text: 'Order 42 for wh' });
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(last.headers['herald-signature']))!;
      expect(createHmac('sha256', secret).update(`${t}.${last.body}`).digest('hex')).toBe(v1);
      expect(await historyOf(ws.auth, id)).toEqual(['ENQUEUED', 'SENT', 'DELIVERED']);
    } finally {
      await sink.close();
    }
  });
});

describe('delay and cancel', () => {
  it('a delayed message can be canceled before it is sent; not after', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/welcome').set(ws.auth).send(WELCOME).expect(200);
    await herald.http.put('/profiles/dd').set(ws.auth).send({ profile: { name: 'Dd', email: 'dd@example.com' } }).expect(200);
    const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'dd' }, template: 'welcome', delay: { duration: '1 hour' } } })).body.requestId;
    expect((await herald.http.get(`/messages/${id}`).set(ws.auth)).body.status).toBe('ENQUEUED');
    const canceled = await herald.http.post(`/messages/${id}/cancel`).set(ws.auth);
    expect(canceled.status).toBe(201);
    expect(canceled.body).toMatchObject({ id, status: 'CANCELED', canceled: expect.any(Number) });
    expect((await herald.http.post(`/messages/${id}/cancel`).set(ws.auth)).status).toBe(409);
    expect(await historyOf(ws.auth, id)).toEqual(['ENQUEUED', 'CANCELED']);
    expect(smtp.messages.some((m) => m.headers.get('x-herald-message-id') === id)).toBe(false);

    const sentId = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'dd' }, template: 'welcome' } })).body.requestId;
    await messageReaches(ws.auth, sentId, ['SENT']);
    const late = await herald.http.post(`/messages/${sentId}/cancel`).set(ws.auth);
    expect(late.status).toBe(409);
    expect(late.body.message).toBe('message is SENT; only a message not yet sent can be canceled');
    expect((await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'dd' }, template: 'welcome', delay: { duration: 'later' } } })).status).toBe(400);
  });

  it('Idempotency-Key on /send returns the same request and sends once', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/profiles/ik').set(ws.auth).send({ profile: { email: 'ik@example.com' } }).expect(200);
    const key = randomUUID();
    const body = { message: { to: { user_id: 'ik' }, content: { title: 'Once', body: 'only once' }, channels: ['email'] } };
    const [a, b] = await Promise.all([1, 2].map(() => herald.http.post('/send').set(ws.auth).set('Idempotency-Key', key).send(body)));
    expect(a.body.requestId).toBe(b.body.requestId);
    await messageReaches(ws.auth, a.body.requestId, ['SENT']);
    expect(smtp.messages.filter((m) => m.headers.get('x-herald-message-id') === a.body.requestId)).toHaveLength(1);
  });

  it('lists messages with filters and keeps workspaces apart', async () => {
    const ws = await herald.newWorkspace();
    const other = await herald.newWorkspace();
    const ids = [];
    for (const user of ['l1', 'l2']) ids.push((await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: user }, template: 'missing' } })).body.requestId);
    for (const id of ids) await messageReaches(ws.auth, id, ['UNMAPPED']);
    expect((await herald.http.get('/messages').set(ws.auth).query({ recipient: 'l2' })).body.items.map((m: any) => m.id)).toEqual([ids[1]]);
    expect((await herald.http.get('/messages').set(ws.auth).query({ status: 'UNMAPPED' })).body.items).toHaveLength(2);
    expect((await herald.http.get('/messages').set(ws.auth).query({ status: 'LOST' })).status).toBe(400);
    await herald.http.get(`/messages/${ids[0]}`).set(other.auth).expect(404);
    await herald.http.get(`/messages/${ids[0]}/history`).set(other.auth).expect(404);
    await herald.http.post(`/messages/${ids[0]}/cancel`).set(other.auth).expect(404);
    expect((await herald.http.get('/messages').set(other.auth)).body.items).toEqual([]);
  });
});

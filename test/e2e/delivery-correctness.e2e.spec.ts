import { createHmac, randomUUID } from 'node:crypto';
import { DeliveryService } from '../../src/messages/delivery.service';
import { startDataPlaneSink } from '../support/data-plane-sink';
import { startHttpSink } from '../support/http-sink';
import { invokeAdHoc, runReaches, runSteps } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Delivery under stress: providers that hold a send for 20 s, a second attempt racing the first,
 * a cancel arriving mid-send, and templates that cannot render.
 */
const HOLD_MS = 20_000;

type Auth = Record<string, string>;

async function messageReaches(herald: TestHerald, auth: Auth, id: string, statuses: string[], timeoutMs = 60_000) {
  return waitUntil(async () => {
    const res = await herald.http.get(`/messages/${id}`).set(auth);
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  }, { timeoutMs, what: `message ${id} to reach ${statuses.join('/')}` });
}

describe('a slow provider', () => {
  let herald: TestHerald;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink({ holdMs: HOLD_MS });
    herald = await startTestHerald({ env: { SMTP_URL: smtp.url, HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
  });
  afterAll(async () => {
    await herald?.stop();
    await smtp?.close();
  });

  it('an SMTP server holding DATA and a webhook answering after 20 s each get exactly one send, even with a second attempt racing the first', async () => {
    const hook = await startHttpSink([], { holdMs: HOLD_MS });
    try {
      const ws = await herald.newWorkspace();
      await herald.http.put('/profiles/slow').set(ws.auth).send({ profile: { email: 'slow@example.com', webhook_url: `${hook.url}/in` } }).expect(200);
      await herald.http.put('/notifications/both').set(ws.auth).send({
        name: 'Both', channels: { email: { subject: 'Hi', text: 'x' }, webhook: { body: { text: 'hi' } } }, routing: { method: 'all', channels: ['email', 'webhook'] },
      }).expect(200);
      const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'slow' }, template: 'both' } })).body.requestId;
      await waitUntil(async () => smtp.held() === 1, { what: 'the SMTP server to hold the email' });
      // What a retried activity (or a workflow task replayed on another worker) would do meanwhile.
      const delivery = herald.app.get(DeliveryService);
      const second = Promise.all([delivery.sendOnChannel(ws.id, id, 'email'), delivery.sendOnChannel(ws.id, id, 'webhook')]);
      const message = await messageReaches(herald, ws.auth, id, ['DELIVERED'], 3 * HOLD_MS);
      const [email, webhook] = await second;
      expect(email).toMatchObject({ kind: 'accepted' });
      expect(webhook).toMatchObject({ kind: 'accepted' });
      expect(smtp.messages.filter((m) => m.headers.get('x-herald-message-id') === id)).toHaveLength(1);
      expect(hook.requests.filter((r) => r.headers['idempotency-key'] === id)).toHaveLength(1);
      const attempts = await herald.db.query('SELECT channel, attempts, state FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 ORDER BY channel', [ws.id, id]);
      expect(attempts).toEqual([{ channel: 'email', attempts: 1, state: 'accepted' }, { channel: 'webhook', attempts: 1, state: 'accepted' }]);
      expect(message.providers.email.response).toMatch(/^250/);
    } finally {
      await hook.close();
    }
  }, 120_000);

  it('a cancel that arrives while the email is held at the server is a 409; the message stays SENT and Message Sent is emitted', async () => {
    const plane = await startDataPlaneSink(new Set(['race-key']));
    try {
      const ws = await herald.newWorkspace();
      await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'race-key', data_plane_url: plane.url }).expect(200);
      await herald.http.put('/profiles/racer').set(ws.auth).send({ profile: { email: 'racer@example.com' } }).expect(200);
      await herald.http.put('/notifications/mail').set(ws.auth).send({ name: 'Mail', channels: { email: { subject: 'Hi', text: 'x' } } }).expect(200);
      const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'racer' }, template: 'mail' } })).body.requestId;
      await waitUntil(async () => smtp.held() === 1, { what: 'the SMTP server to hold the email' });
      const cancel = await herald.http.post(`/messages/${id}/cancel`).set(ws.auth);
      expect(cancel.status).toBe(409);
      expect(cancel.body).toEqual({ message: 'message is being sent; only a message not yet sent can be canceled', type: 'conflict_error' });
      const sent = await messageReaches(herald, ws.auth, id, ['SENT'], 3 * HOLD_MS);
      expect(sent.canceled).toBeNull();
      const history = (await herald.http.get(`/messages/${id}/history`).set(ws.auth)).body.items.map((h: any) => h.status);
      expect(history).toEqual(['ENQUEUED', 'SENT']);
      expect(smtp.messages.filter((m) => m.headers.get('x-herald-message-id') === id)).toHaveLength(1);
      const events = await waitUntil(async () => {
        const e = plane.events.filter((x) => x.properties?.id === id);
        return e.length ? e : undefined;
      }, { what: 'Message Sent at the data plane' });
      expect(events.map((e) => [e.event, e.properties.status])).toEqual([['Message Sent', 'SENT']]);
      // After it was sent, a cancel is still a 409 that names the status.
      expect((await herald.http.post(`/messages/${id}/cancel`).set(ws.auth)).body.message).toBe('message is SENT; only a message not yet sent can be canceled');
    } finally {
      await plane.close();
    }
  }, 120_000);
});

describe('a template that cannot render', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald();
  });
  afterAll(() => herald?.stop());

  it('ends the message UNDELIVERABLE with the reason at once; the run goes on instead of retrying forever', async () => {
    const ws = await herald.newWorkspace();
    // Valid Liquid (saved without complaint) whose rendering runs into the DoS limits.
    await herald.http.put('/notifications/huge').set(ws.auth).send({
      name: 'Huge', channels: { inbox: { title: 'x', body: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' } },
    }).expect(200);
    const started = Date.now();
    const runId = await invokeAdHoc(herald, ws.auth, { recipient: 'r1', automation: { steps: [{ action: 'send', ref: 's', template: 'huge' }, { action: 'send', template: 'after' }] } });
    const run = await runReaches(herald, ws.auth, runId, ['PROCESSED', 'ERROR'], 30_000);
    expect(run.status).toBe('PROCESSED');
    expect(Date.now() - started).toBeLessThan(20_000);
    const steps = await runSteps(herald, ws.auth, runId);
    expect(steps[0]).toMatchObject({ status: 'PROCESSED', result: { messageId: `${runId}:0`, status: 'UNDELIVERABLE' } });
    const message = (await herald.http.get(`/messages/${runId}:0`).set(ws.auth)).body;
    expect(message).toMatchObject({ status: 'UNDELIVERABLE', reason: 'RENDER_ERROR' });
    expect(message.error).toMatch(/^template could not be rendered: /);
    expect((await herald.http.get(`/messages/${runId}:0/history`).set(ws.auth)).body.items.map((h: any) => h.status)).toEqual(['ENQUEUED', 'UNDELIVERABLE']);
  }, 60_000);
});

describe('webhook signing secret rotation', () => {
  it('reaches a separate worker process within seconds', async () => {
    const { spawnHerald } = await import('../faults/support/processes');
    const hook = await startHttpSink();
    const taskQueue = `rotation-${randomUUID()}`;
    const env = { TEMPORAL_TASK_QUEUE: taskQueue, HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' };
    const api = await startTestHerald({ worker: false, taskQueue, env });
    const worker = spawnHerald('worker', env);
    try {
      const ws = await api.newWorkspace();
      await api.http.put('/profiles/w').set(ws.auth).send({ profile: { webhook_url: `${hook.url}/in` } }).expect(200);
      await api.http.put('/notifications/hook').set(ws.auth).send({ name: 'Hook', channels: { webhook: { body: { n: '{{ data.n }}' } } } }).expect(200);
      const send = async (n: number) => (await api.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'w' }, template: 'hook', data: { n } } })).body.requestId as string;
      const signedWith = (secret: string, id: string) => {
        const req = hook.requests.find((r) => r.headers['idempotency-key'] === id)!;
        const [t, v1] = String(req.headers['herald-signature']).split(',').map((p) => p.split('=')[1]);
        return createHmac('sha256', secret).update(`${t}.${req.body}`).digest('hex') === v1;
      };
      const first = (await api.http.post('/webhooks/signing-secret').set(ws.auth)).body.secret;
      const a = await send(1);
      await waitUntil(async () => hook.requests.some((r) => r.headers['idempotency-key'] === a), { timeoutMs: 60_000, what: 'the first webhook' });
      expect(signedWith(first, a)).toBe(true);

      const second = (await api.http.post('/webhooks/signing-secret').set(ws.auth)).body.secret;
      const rotatedAt = Date.now();
      let n = 2;
      const b = await waitUntil(async () => {
        const id = await send(n++);
        await waitUntil(async () => hook.requests.some((r) => r.headers['idempotency-key'] === id), { timeoutMs: 30_000, what: `webhook ${id}` });
        return signedWith(second, id) ? id : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500, what: 'a webhook signed with the new secret' });
      expect(Date.now() - rotatedAt).toBeLessThan(15_000);
      // From then on, never the old secret.
      const c = await send(n);
      await waitUntil(async () => hook.requests.some((r) => r.headers['idempotency-key'] === c), { timeoutMs: 30_000, what: 'the last webhook' });
      expect([signedWith(second, b), signedWith(second, c), signedWith(first, c)]).toEqual([true, true, false]);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await api.stop();
      await hook.close();
    }
  }, 120_000);
});

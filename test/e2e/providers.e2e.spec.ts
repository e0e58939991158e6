import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { webhookSignature } from '../../src/messages/channels/webhook.channel';
import { ProviderRateLimiter } from '../../src/providers/provider-rate-limiter';
import { messageDecided } from '../support/automations';
import { startTwilioSink } from '../support/sms-provider-sinks';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 16: providers as configuration (sealed, masked), SMS through Twilio's Messages API with
 * failover by priority on 5xx and 429 (both attempts in the history), no failover when the
 * provider refuses the number, E.164 validation, and signed delivery receipts (Twilio's and
 * Herald's generic one) moving the message to DELIVERED / UNDELIVERABLE once.
 */
const PUBLIC_URL = 'http://herald.test';
const SID_A = `AC${'a'.repeat(32)}`;
const SID_B = `AC${'b'.repeat(32)}`;
const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-0123456789abcdef';

let herald: TestHerald;
let twilioA: Awaited<ReturnType<typeof startTwilioSink>>;
let twilioB: Awaited<ReturnType<typeof startTwilioSink>>;

beforeAll(async () => {
  twilioA = await startTwilioSink({ accountSid: SID_A, authToken: TOKEN_A });
  twilioB = await startTwilioSink({ accountSid: SID_B, authToken: TOKEN_B });
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8', HERALD_PUBLIC_URL: PUBLIC_URL } });
});

afterAll(async () => {
  await herald?.stop();
  await twilioA?.close();
  await twilioB?.close();
});

type Auth = Record<string, string>;
const twilio = (sink: { url: string }, sid: string, token: string, extra: Record<string, unknown> = {}) => ({
  channel: 'sms',
  provider: 'twilio',
  config: { account_sid: sid, auth_token: token, from: '+15005550006', api_base_url: sink.url },
  ...extra,
});

async function sendSms(auth: Auth, to: Record<string, unknown>) {
  return (await herald.http.post('/send').set(auth).send({ message: { to, template: 'code' } }).expect(202)).body.requestId as string;
}

async function setup(primary: Record<string, unknown> = {}, backup: Record<string, unknown> | null = {}) {
  const ws = await herald.newWorkspace();
  await herald.http.put('/notifications/code').set(ws.auth).send({ name: 'Code', channels: { sms: { text: 'Hi {{ profile.name }}, your code is {{ data.code }}' } } }).expect(200);
  await herald.http.put('/providers/twilio-a').set(ws.auth).send(twilio(twilioA, SID_A, TOKEN_A, { priority: 1, max_attempts: 1, ...primary })).expect(200);
  if (backup) await herald.http.put('/providers/twilio-b').set(ws.auth).send(twilio(twilioB, SID_B, TOKEN_B, { priority: 2, ...backup })).expect(200);
  return ws;
}

const sentTo = (sink: { requests: Array<{ body: Record<string, any> }> }, to: string) => sink.requests.filter((r) => r.body.To === to);

it('PUT/GET/DELETE /providers: secrets sealed and masked, ranked by priority, bad bodies named', async () => {
  const ws = await setup();
  const got = (await herald.http.get('/providers/twilio-a').set(ws.auth).expect(200)).body;
  expect(got).toMatchObject({ id: 'twilio-a', channel: 'sms', provider: 'twilio', priority: 1, config: { account_sid: SID_A, auth_token: 'toke…', from: '+15005550006' } });
  expect(JSON.stringify(got)).not.toContain(TOKEN_A);
  const [row] = await herald.db.query(`SELECT config::text AS config, secrets_sealed FROM providers WHERE workspace_id = $1 AND id = 'twilio-a'`, [ws.id]);
  expect(row.config).not.toContain(TOKEN_A);
  expect(row.secrets_sealed).toMatch(/^v2\./);
  expect(row.secrets_sealed).not.toContain(TOKEN_A);
  expect((await herald.http.get('/providers').set(ws.auth).expect(200)).body.items.map((p: { id: string }) => p.id)).toEqual(['twilio-a', 'twilio-b']);

  // Saving the masked value back (as the Studio's form does) keeps the secret: the send still authenticates.
  await herald.http.put('/providers/twilio-a').set(ws.auth).send({ ...twilio(twilioA, SID_A, 'toke…'), priority: 1 }).expect(200);
  const id = await sendSms(ws.auth, { phone_number: '+14155550101' });
  expect((await messageDecided(herald, ws.auth, id)).status).toBe('SENT');
  expect(sentTo(twilioA, '+14155550101')).toHaveLength(1);

  const bad = async (id: string, body: object, pattern: RegExp) => {
    const res = await herald.http.put(`/providers/${id}`).set(ws.auth).send(body);
    expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(pattern) });
  };
  await bad('x', { channel: 'sms', provider: 'carrier-pigeon' }, /unknown provider "carrier-pigeon"/);
  await bad('x', { ...twilio(twilioA, SID_A, TOKEN_A), channel: 'push' }, /twilio is a provider of the sms channel/);
  await bad('x', twilio(twilioA, 'ACnope', TOKEN_A), /config\.account_sid/);
  await bad('x', { ...twilio(twilioA, SID_A, TOKEN_A), rate_limit: -1 }, /rate_limit/);
  await bad('x', { ...twilio(twilioA, SID_A, TOKEN_A), failover_after: 'soon' }, /failover_after/);
  await bad('..', twilio(twilioA, SID_A, TOKEN_A), /provider id/);
  await bad('x', { ...twilio(twilioA, SID_A, TOKEN_A), surprise: 1 }, /surprise/);
  expect((await herald.http.get('/providers/nope').set(ws.auth)).status).toBe(404);
  expect((await herald.http.delete('/providers/twilio-b').set(ws.auth)).status).toBe(204);
  expect((await herald.http.delete('/providers/twilio-b').set(ws.auth)).status).toBe(404);
  // Another workspace sees none of them.
  const other = await herald.newWorkspace();
  expect((await herald.http.get('/providers').set(other.auth).expect(200)).body.items).toEqual([]);
  expect((await herald.http.get('/providers/twilio-a').set(other.auth)).status).toBe(404);
});

it('an SMS goes out through Twilio with the Liquid text, to the E.164 number, with a status callback', async () => {
  const ws = await setup();
  await herald.http.put('/profiles/ada').set(ws.auth).send({ profile: { name: 'Ada', phone_number: '+1 415 555 0102' } }).expect(200);
  const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'ada' }, template: 'code', data: { code: '4711' } } }).expect(202)).body.requestId;
  const m = await messageDecided(herald, ws.auth, id);
  expect(m).toMatchObject({ status: 'SENT', channels: ['sms'] });
  const [req] = sentTo(twilioA, '+14155550102');
  expect(req.body).toMatchObject({ To: '+14155550102', From: '+15005550006', Body: 'Hi Ada, your code is 4711', StatusCallback: `${PUBLIC_URL}/receipts/twilio/${ws.id}/twilio-a` });
  const history = (await herald.http.get(`/messages/${id}/history`).set(ws.auth).expect(200)).body;
  expect(history.attempts).toEqual([expect.objectContaining({ channel: 'sms', provider_id: 'twilio-a', provider: 'twilio', state: 'accepted', provider_message_id: expect.stringMatching(/^SM/) })]);
  const output = (await herald.http.get(`/messages/${id}/output`).set(ws.auth).expect(200)).body;
  expect(output.results).toEqual([expect.objectContaining({ channel: 'sms', status: 'accepted', content: { text: 'Hi Ada, your code is 4711' } })]);
});

it('fails over to the next provider on a 5xx and on a 429, with every attempt in the history', async () => {
  const ws = await setup();
  twilioA.failNext(1, 503, { code: 20500, message: 'Service Unavailable', status: 503 });
  const first = await sendSms(ws.auth, { phone_number: '+14155550103' });
  expect((await messageDecided(herald, ws.auth, first)).status).toBe('SENT');
  twilioA.tooManyRequests(1);
  const second = await sendSms(ws.auth, { phone_number: '+14155550104' });
  expect((await messageDecided(herald, ws.auth, second)).status).toBe('SENT');

  for (const [id, number, status] of [[first, '+14155550103', 503], [second, '+14155550104', 429]] as const) {
    expect(sentTo(twilioA, number)).toHaveLength(1);
    expect(sentTo(twilioB, number)).toHaveLength(1);
    const { attempts } = (await herald.http.get(`/messages/${id}/history`).set(ws.auth).expect(200)).body;
    expect(attempts.map((a: Record<string, unknown>) => [a.provider_id, a.state, a.status_code])).toEqual([['twilio-a', 'failed', status], ['twilio-b', 'accepted', null]]);
    expect(attempts[0].error).toMatch(new RegExp(`HTTP ${status}`));
  }
});

it('a number the provider refuses ends the channel without failing over; a malformed one is never sent', async () => {
  const ws = await setup();
  twilioA.refuse('+14155550105');
  const id = await sendSms(ws.auth, { phone_number: '+14155550105' });
  const m = await messageDecided(herald, ws.auth, id);
  expect({ status: m.status, error: m.error }).toEqual({ status: 'UNDELIVERABLE', error: expect.stringMatching(/code 21211/) });
  expect(sentTo(twilioA, '+14155550105')).toHaveLength(1);
  expect(sentTo(twilioB, '+14155550105')).toHaveLength(0);

  const bad = await sendSms(ws.auth, { phone_number: '555-0100' });
  const b = await messageDecided(herald, ws.auth, bad);
  expect({ status: b.status, reason: b.reason }).toEqual({ status: 'UNROUTABLE', reason: expect.stringMatching(/"555-0100" is not a valid phone number in E\.164/) });

  // No sms provider at all: skipped with the reason.
  const bare = await herald.newWorkspace();
  await herald.http.put('/notifications/code').set(bare.auth).send({ name: 'Code', channels: { sms: { text: 'x' } } }).expect(200);
  const none = await messageDecided(herald, bare.auth, await sendSms(bare.auth, { phone_number: '+14155550106' }));
  expect(none.reason).toMatch(/no sms provider configured/);
});

it('every provider failing moves single routing to the next channel', async () => {
  const ws = await setup({}, { max_attempts: 1 });
  await herald.http.put('/notifications/code').set(ws.auth).send({ name: 'Code', channels: { sms: { text: 'x' }, inbox: { title: 'Code', body: 'x' } }, routing: { method: 'single', channels: ['sms', 'inbox'] } }).expect(200);
  await herald.http.put('/profiles/bob').set(ws.auth).send({ profile: { phone_number: '+14155550107' } }).expect(200);
  twilioA.failNext(1, 500);
  twilioB.failNext(1, 500);
  const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'bob' }, template: 'code' } }).expect(202)).body.requestId;
  const m = await messageDecided(herald, ws.auth, id);
  expect(m.status).toBe('DELIVERED');
  expect(m.providers).toMatchObject({ inbox: { provider: 'inbox' } });
  const { attempts } = (await herald.http.get(`/messages/${id}/history`).set(ws.auth).expect(200)).body;
  expect(attempts.map((a: Record<string, unknown>) => `${a.provider_id}:${a.state}`)).toEqual(['twilio-a:failed', 'twilio-b:failed']);
});

it("Twilio's signed status callback marks DELIVERED once (one outbound event); a forged or unsigned one is refused", async () => {
  const ws = await setup();
  // The RudderStack integration on (its data plane unreachable: the events wait in the outbox, where they are counted).
  await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wk-0123456789abcdef', data_plane_url: 'http://127.0.0.1:9', enabled: true }).expect(200);
  const id = await sendSms(ws.auth, { phone_number: '+14155550108' });
  await messageDecided(herald, ws.auth, id);
  expect(sentTo(twilioA, '+14155550108')).toHaveLength(1);
  const sid = (await herald.http.get(`/messages/${id}/history`).set(ws.auth)).body.attempts[0].provider_message_id;
  const path = `/receipts/twilio/${ws.id}/twilio-a`;
  const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: SID_A, To: '+14155550108' };
  const form = new URLSearchParams(params).toString();
  const post = (signature: string | null, body = form) => {
    const r = herald.rawHttp.post(path).set('Content-Type', 'application/x-www-form-urlencoded');
    return (signature === null ? r : r.set('X-Twilio-Signature', signature)).send(body);
  };
  expect((await post(getExpectedTwilioSignature('not-the-token-at-all', `${PUBLIC_URL}${path}`, params))).status).toBe(403);
  expect((await post(null)).status).toBe(403);
  // A signature for other parameters does not cover these.
  const signature = getExpectedTwilioSignature(TOKEN_A, `${PUBLIC_URL}${path}`, params);
  expect((await post(signature, new URLSearchParams({ ...params, MessageStatus: 'failed' }).toString())).status).toBe(403);
  expect((await herald.http.get(`/messages/${id}`).set(ws.auth)).body.status).toBe('SENT');

  expect((await post(signature)).status).toBe(204);
  expect((await post(signature)).status).toBe(204);
  const m = (await herald.http.get(`/messages/${id}`).set(ws.auth).expect(200)).body;
  expect(m.status).toBe('DELIVERED');
  const events = await herald.db.query(`SELECT payload->>'event' AS event FROM outbound_events WHERE workspace_id = $1 AND payload->'properties'->>'id' = $2`, [ws.id, id]);
  expect(events.map((e: { event: string }) => e.event).filter((e: string) => e === 'Message Delivered')).toHaveLength(1);
  const { items } = (await herald.http.get(`/messages/${id}/history`).set(ws.auth).expect(200)).body;
  expect(items.filter((i: { status: string }) => i.status === 'DELIVERED')).toEqual([expect.objectContaining({ channel: 'sms', detail: expect.objectContaining({ provider_id: 'twilio-a', receipt: true }) })]);
  // Another workspace's path with the same signature reaches nothing.
  const other = await herald.newWorkspace();
  expect((await herald.rawHttp.post(`/receipts/twilio/${other.id}/twilio-a`).set('X-Twilio-Signature', signature).send(form)).status).toBe(404);
});

it('the generic signed receipt endpoint marks UNDELIVERABLE; bad signatures, stale times and unknown ids are refused', async () => {
  const ws = await setup({ receipt_secret: 'rcpt_0123456789abcdef0123' });
  expect((await herald.http.get('/providers/twilio-a').set(ws.auth)).body.receipt_secret).toBe('rcpt…');
  const id = await sendSms(ws.auth, { phone_number: '+14155550109' });
  await messageDecided(herald, ws.auth, id);
  const path = `/receipts/${ws.id}/twilio-a`;
  const sign = (body: string, secret = 'rcpt_0123456789abcdef0123', t = Date.now()) => webhookSignature(secret, t, body);
  const body = JSON.stringify({ message_id: id, status: 'undelivered', error: 'carrier violation' });
  const post = (b: string, signature: string) => herald.rawHttp.post(path).set('Content-Type', 'application/json').set('Herald-Signature', signature).send(b);
  expect((await post(body, sign(body, 'wrong-secret-0123456789'))).status).toBe(403);
  expect((await post(body, sign(body, undefined, Date.now() - 10 * 60_000))).status).toBe(403);
  const unknown = JSON.stringify({ message_id: 'not-a-message', status: 'delivered' });
  expect((await post(unknown, sign(unknown))).status).toBe(404);
  const malformed = JSON.stringify({ message_id: id, status: 'lost' });
  expect((await post(malformed, sign(malformed))).status).toBe(400);
  expect((await post(body, sign(body))).status).toBe(204);
  const m = await waitUntil(async () => {
    const r = (await herald.http.get(`/messages/${id}`).set(ws.auth)).body;
    return r.status === 'UNDELIVERABLE' ? r : null;
  }, { what: 'UNDELIVERABLE' });
  expect(m.error).toMatch(/undelivered: carrier violation/);
});

it("a receipt that beats the provider's answer is kept and applied with the acceptance: SENT, then DELIVERED or UNDELIVERABLE, once", async () => {
  const secret = 'rcpt_early_0123456789abcdef';
  const ws = await setup({ receipt_secret: secret }, null);
  const sid = `SM${'e'.repeat(32)}`;
  twilioA.nextSids.push(sid);
  const release = twilioA.hold();
  const viaTwilio = await sendSms(ws.auth, { phone_number: '+14155550130' });
  const viaGeneric = await sendSms(ws.auth, { phone_number: '+14155550131' });
  await waitUntil(async () => sentTo(twilioA, '+14155550130').length === 1 && sentTo(twilioA, '+14155550131').length === 1, { what: 'both requests held at Twilio' });
  // Twilio's callback for the sid it has not answered with yet; the generic one by Herald's message id.
  const path = `/receipts/twilio/${ws.id}/twilio-a`;
  const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: SID_A };
  const early = await herald.rawHttp.post(path).set('Content-Type', 'application/x-www-form-urlencoded')
    .set('X-Twilio-Signature', getExpectedTwilioSignature(TOKEN_A, `${PUBLIC_URL}${path}`, params)).send(new URLSearchParams(params).toString());
  expect(early.status).toBe(204);
  const body = JSON.stringify({ message_id: viaGeneric, status: 'failed', error: 'unreachable handset' });
  const generic = await herald.rawHttp.post(`/receipts/${ws.id}/twilio-a`).set('Content-Type', 'application/json').set('Herald-Signature', webhookSignature(secret, Date.now(), body)).send(body);
  expect(generic.status).toBe(202);
  // A message id this provider is not sending still cannot wait.
  const stranger = JSON.stringify({ message_id: 'not-a-message', status: 'delivered' });
  expect((await herald.rawHttp.post(`/receipts/${ws.id}/twilio-a`).set('Content-Type', 'application/json').set('Herald-Signature', webhookSignature(secret, Date.now(), stranger)).send(stranger)).status).toBe(404);
  expect((await herald.http.get(`/messages/${viaTwilio}`).set(ws.auth)).body.status).toBe('ENQUEUED');
  expect(await herald.db.query('SELECT status FROM pending_receipts WHERE workspace_id = $1 ORDER BY id', [ws.id])).toEqual([{ status: 'DELIVERED' }, { status: 'UNDELIVERABLE' }]);

  release();
  const delivered = await waitUntil(async () => {
    const m = (await herald.http.get(`/messages/${viaTwilio}`).set(ws.auth)).body;
    return m.status === 'DELIVERED' ? m : undefined;
  }, { what: 'the early Twilio receipt applied' });
  expect(delivered.providers.sms.provider).toBe('twilio:twilio-a');
  const history = (await herald.http.get(`/messages/${viaTwilio}/history`).set(ws.auth)).body;
  expect(history.items.map((i: { status: string }) => i.status)).toEqual(['ENQUEUED', 'SENT', 'DELIVERED']);
  expect(history.items[2].detail).toMatchObject({ provider_id: 'twilio-a', provider_message_id: sid, receipt: true });
  const failed = await waitUntil(async () => {
    const m = (await herald.http.get(`/messages/${viaGeneric}`).set(ws.auth)).body;
    return m.status === 'UNDELIVERABLE' ? m : undefined;
  }, { what: 'the early generic receipt applied' });
  expect(failed.error).toMatch(/failed: unreachable handset/);
  expect((await herald.http.get(`/messages/${viaGeneric}/history`).set(ws.auth)).body.items.map((i: { status: string }) => i.status)).toEqual(['ENQUEUED', 'SENT', 'UNDELIVERABLE']);
  expect(await herald.db.query('SELECT 1 FROM pending_receipts WHERE workspace_id = $1', [ws.id])).toEqual([]);
});

it('status callbacks racing the acceptance (before, during, after it is recorded) each mark DELIVERED exactly once', async () => {
  const ws = await setup({}, null);
  const path = `/receipts/twilio/${ws.id}/twilio-a`;
  const callbacks: Array<Promise<number>> = [];
  twilioA.onAccept((form, sid) => {
    const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: SID_A, To: form.To };
    const signature = getExpectedTwilioSignature(TOKEN_A, `${PUBLIC_URL}${path}`, params);
    // Spread over the window in which Herald records the acceptance: from before the 201 leaves to well after.
    const delayMs = callbacks.length % 4 === 0 ? 0 : (callbacks.length * 7) % 40;
    callbacks.push(new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(async () =>
      (await herald.rawHttp.post(path).set('Content-Type', 'application/x-www-form-urlencoded').set('X-Twilio-Signature', signature).send(new URLSearchParams(params).toString())).status));
  });
  try {
    const ids = await Promise.all(Array.from({ length: 24 }, (_, i) => sendSms(ws.auth, { phone_number: `+1415555${String(2000 + i)}` })));
    await waitUntil(async () => callbacks.length === ids.length, { what: 'a callback per accepted message' });
    expect(await Promise.all(callbacks)).toEqual(Array(ids.length).fill(204));
    for (const id of ids) {
      const m = await waitUntil(async () => {
        const r = (await herald.http.get(`/messages/${id}`).set(ws.auth)).body;
        return r.status === 'DELIVERED' ? r : undefined;
      }, { what: `message ${id} DELIVERED` });
      expect(m.status).toBe('DELIVERED');
      const items = (await herald.http.get(`/messages/${id}/history`).set(ws.auth)).body.items as Array<{ status: string }>;
      expect(items.map((i) => i.status).sort()).toEqual(['DELIVERED', 'ENQUEUED', 'SENT']);
    }
    expect(await herald.db.query('SELECT 1 FROM pending_receipts WHERE workspace_id = $1', [ws.id])).toEqual([]);
  } finally {
    twilioA.onAccept(undefined);
  }
});

it('a test send reaches the provider and reports what it answered', async () => {
  const ws = await setup();
  const ok = (await herald.http.post('/providers/twilio-a/test').set(ws.auth).send({ to: { phone_number: '+14155550110' }, text: 'ping' }).expect(200)).body;
  expect(ok).toMatchObject({ ok: true, provider_message_id: expect.stringMatching(/^SM/), error: null });
  expect(sentTo(twilioA, '+14155550110')[0].body.Body).toBe('ping');
  twilioA.refuse('+14155550111');
  const refused = (await herald.http.post('/providers/twilio-a/test').set(ws.auth).send({ to: { phone_number: '+14155550111' } }).expect(200)).body;
  expect(refused).toMatchObject({ ok: false, error_kind: 'recipient', error: expect.stringMatching(/21211/) });
  expect((await herald.http.post('/providers/twilio-a/test').set(ws.auth).send({ to: { phone_number: 'call me' } })).status).toBe(400);
  expect((await herald.http.post('/providers/nope/test').set(ws.auth).send({ to: { phone_number: '+14155550110' } })).status).toBe(404);
});

it("a test send takes a place in the provider's rate window: over the limit it is a 429 with Retry-After, and nothing is sent", async () => {
  const ws = await setup({ rate_limit: 1 }, null);
  await herald.http.post('/providers/twilio-a/test').set(ws.auth).send({ to: { phone_number: '+14155550120' } }).expect(200);
  const over = await herald.http.post('/providers/twilio-a/test').set(ws.auth).send({ to: { phone_number: '+14155550121' } });
  expect({ status: over.status, type: over.body.type, message: over.body.message }).toEqual({ status: 429, type: 'rate_limit_error', message: expect.stringContaining('rate limit (1/s)') });
  expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(sentTo(twilioA, '+14155550121')).toHaveLength(0);
  // Once the window has room (1 per 1.05 s) the next one goes.
  await waitUntil(async () => (await herald.http.post('/providers/twilio-a/test').set(ws.auth).send({ to: { phone_number: '+14155550122' } })).status === 200, { timeoutMs: 5_000, intervalMs: 200, what: 'a test send after the window' });
  expect(sentTo(twilioA, '+14155550122')).toHaveLength(1);
});

it('the rate limiter: slots 1/rate apart, and a window of n sends per n/rate s that holds back whoever comes late', async () => {
  const ws = await herald.newWorkspace();
  const limiter = herald.app.get(ProviderRateLimiter);
  // Slots: six bookings at once are spaced 220 ms (5/s, 10 % wider).
  // Each slot as this process sees it (asked at `at`, so at most one query's latency early).
  const slots: number[] = [];
  for (let i = 0; i < 6; i++) {
    const at = Date.now();
    slots.push(at + (await limiter.reserve(ws.id, 'slots', 5))!);
  }
  for (let i = 1; i < 6; i++) expect(slots[i] - slots[i - 1]).toBeGreaterThan(150);
  expect(slots[5] - slots[0]).toBeGreaterThanOrEqual(1000);

  // The window: twelve senders claiming at once (as if all woke late together), exactly five go.
  await limiter.reserve(ws.id, 'window', 5);
  const claims = await Promise.all(Array.from({ length: 12 }, () => limiter.claim(ws.id, 'window', 5)));
  const granted = claims.flatMap((c) => ('claimedAt' in c ? [c.claimedAt.getTime()] : []));
  expect(granted).toHaveLength(5);
  // The refused are told to come back when the oldest of the five leaves the window.
  for (const c of claims) if ('waitMs' in c) expect(c.waitMs).toBeGreaterThan(0);
  for (const c of claims) if ('waitMs' in c) expect(c.waitMs).toBeLessThanOrEqual(1050);
  // The sixth goes once the first has left the window (1050 ms), not before.
  const sixth = await waitUntil(async () => {
    const c = await limiter.claim(ws.id, 'window', 5);
    return 'claimedAt' in c ? c.claimedAt.getTime() : undefined;
  }, { timeoutMs: 5_000, intervalMs: 20, what: 'the sixth claim' });
  expect(sixth - Math.min(...granted)).toBeGreaterThanOrEqual(1050);

  // Under one per second: one send per 1/rate s (2100 ms at 0.5/s); no limit claims at once.
  await limiter.reserve(ws.id, 'slow', 0.5);
  expect('claimedAt' in (await limiter.claim(ws.id, 'slow', 0.5))).toBe(true);
  const held = await limiter.claim(ws.id, 'slow', 0.5);
  expect('waitMs' in held && held.waitMs > 1500 && held.waitMs <= 2100).toBe(true);
  expect('claimedAt' in (await limiter.claim(ws.id, 'unlimited', null))).toBe(true);
});

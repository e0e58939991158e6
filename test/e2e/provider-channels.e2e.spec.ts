import { generateKeyPairSync } from 'node:crypto';
import { messageDecided } from '../support/automations';
import { SweepService } from '../../src/maintenance/sweep.service';
import { startExpoSink, startFcmSink, startGoogleOAuthSink, startSendGridSink, startSlackSink } from '../support/provider-sinks';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 16 through the whole path (POST /send → message workflow → provider): push through FCM
 * with an unregistered token taken off the profile, chat through Slack's chat.postMessage, and
 * email failing over from SendGrid's API to SMTP — each attempt in the message's history.
 */
const clientEmail = 'herald@herald-test.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const BOT = 'xoxb-1111-2222-abcdefabcdef';
const SENDGRID_KEY = 'SG.test-key.0123456789abcdef';

let herald: TestHerald;
let smtp: SmtpSink;
let oauth: Awaited<ReturnType<typeof startGoogleOAuthSink>>;
let fcm: Awaited<ReturnType<typeof startFcmSink>>;
let slack: Awaited<ReturnType<typeof startSlackSink>>;
let sendgrid: Awaited<ReturnType<typeof startSendGridSink>>;
let expo: Awaited<ReturnType<typeof startExpoSink>>;
const EXPO_TOKEN = 'expo-access-0123456789abcdef';

beforeAll(async () => {
  smtp = await startSmtpSink();
  oauth = await startGoogleOAuthSink({ clientEmail, publicKey });
  fcm = await startFcmSink({ projectId: 'herald-test', oauth });
  slack = await startSlackSink({ botToken: BOT });
  sendgrid = await startSendGridSink({ apiKey: SENDGRID_KEY });
  expo = await startExpoSink({ accessToken: EXPO_TOKEN });
  // Push receipts are read as soon as a sweep sees the ticket (15 minutes in production).
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8', SMTP_URL: smtp.url, SMTP_FROM: 'Herald <noreply@herald.test>', HERALD_PUSH_RECEIPT_DELAY: '0' } });
});

afterAll(async () => {
  await herald?.stop();
  for (const s of [fcm, oauth, slack, sendgrid, expo]) await s?.close();
  await smtp?.close();
});

type Auth = Record<string, string>;
const send = async (auth: Auth, message: Record<string, unknown>) => (await herald.http.post('/send').set(auth).send({ message }).expect(202)).body.requestId as string;
const attempts = async (auth: Auth, id: string) => (await herald.http.get(`/messages/${id}/history`).set(auth).expect(200)).body.attempts as Array<Record<string, unknown>>;

it('push through FCM: one message per token, data as strings; an unregistered token is removed from the profile', async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/providers/fcm').set(ws.auth).send({
    channel: 'push', provider: 'fcm',
    config: { service_account: { type: 'service_account', project_id: 'herald-test', client_email: clientEmail, private_key: privatePem, token_uri: oauth.tokenUri }, api_base_url: fcm.url },
  }).expect(200);
  const shown = (await herald.http.get('/providers/fcm').set(ws.auth).expect(200)).body;
  expect(JSON.stringify(shown)).not.toContain('PRIVATE KEY');
  await herald.http.put('/notifications/shipped').set(ws.auth).send({ name: 'Shipped', channels: { push: { title: 'Order {{ data.order }}', body: 'On its way, {{ profile.name }}', data: { order: '{{ data.order }}' } } } }).expect(200);
  await herald.http.put('/profiles/ada').set(ws.auth).send({ profile: { name: 'Ada', firebaseToken: ['tok-live', 'unregistered-old'] } }).expect(200);

  const id = await send(ws.auth, { to: { user_id: 'ada' }, template: 'shipped', data: { order: 42 } });
  expect((await messageDecided(herald, ws.auth, id)).status).toBe('SENT');
  const mine = fcm.requests.filter((r) => ['tok-live', 'unregistered-old'].includes(r.body?.message?.token));
  expect(mine.map((r) => r.body.message)).toEqual([
    { token: 'tok-live', notification: { title: 'Order 42', body: 'On its way, Ada' }, data: { order: '42' } },
    { token: 'unregistered-old', notification: { title: 'Order 42', body: 'On its way, Ada' }, data: { order: '42' } },
  ]);
  expect((await herald.http.get('/profiles/ada').set(ws.auth).expect(200)).body.profile.firebaseToken).toEqual(['tok-live']);
  expect(await attempts(ws.auth, id)).toEqual([expect.objectContaining({ provider: 'fcm', state: 'accepted' })]);
  // What was sent, as rendered; the device tokens are not part of it.
  const output = (await herald.http.get(`/messages/${id}/output`).set(ws.auth).expect(200)).body.results;
  expect(output).toEqual([expect.objectContaining({ channel: 'push', content: { title: 'Order 42', body: 'On its way, Ada', data: { order: '42' } } })]);
  expect(JSON.stringify(output)).not.toContain('tok-live');

  // Only an unregistered token: the recipient is refused, nothing to fail over to, the token goes.
  await herald.http.put('/profiles/bob').set(ws.auth).send({ profile: { firebaseToken: 'unregistered-bob' } }).expect(200);
  const gone = await messageDecided(herald, ws.auth, await send(ws.auth, { to: { user_id: 'bob' }, template: 'shipped', data: { order: 7 } }));
  expect({ status: gone.status, error: gone.error }).toEqual({ status: 'UNDELIVERABLE', error: expect.stringMatching(/no longer registered/) });
  expect((await herald.http.get('/profiles/bob').set(ws.auth).expect(200)).body.profile.firebaseToken).toBeUndefined();
  // With no token left, the next push is not attempted at all.
  const none = await messageDecided(herald, ws.auth, await send(ws.auth, { to: { user_id: 'bob' }, template: 'shipped' }));
  expect({ status: none.status, reason: none.reason }).toEqual({ status: 'UNROUTABLE', reason: expect.stringMatching(/push: no push token/) });
});

it("chat through Slack's chat.postMessage to the profile's channel, with Liquid text and blocks", async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/providers/slack').set(ws.auth).send({ channel: 'chat', provider: 'slack', config: { bot_token: BOT, api_base_url: slack.url } }).expect(200);
  await herald.http.put('/notifications/deploy').set(ws.auth).send({
    name: 'Deploy', channels: { chat: { text: 'Deployed {{ data.version }}', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*{{ data.version }}* is live' } }] } },
  }).expect(200);
  await herald.http.put('/profiles/ops').set(ws.auth).send({ profile: { slack: { channel: 'C0OPS' } } }).expect(200);
  const id = await send(ws.auth, { to: { user_id: 'ops' }, template: 'deploy', data: { version: 'v1.2' } });
  expect((await messageDecided(herald, ws.auth, id)).status).toBe('DELIVERED');
  const [req] = slack.requests.filter((r) => r.body?.channel === 'C0OPS');
  expect(req.body).toEqual({ channel: 'C0OPS', text: 'Deployed v1.2', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*v1.2* is live' } }] });
  // A channel Slack does not know ends the channel: a recipient error, no failover.
  slack.refuse('C0GONE');
  await herald.http.put('/profiles/gone').set(ws.auth).send({ profile: { slack: { channel: 'C0GONE' } } }).expect(200);
  const refused = await messageDecided(herald, ws.auth, await send(ws.auth, { to: { user_id: 'gone' }, template: 'deploy' }));
  expect({ status: refused.status, error: refused.error }).toEqual({ status: 'UNDELIVERABLE', error: expect.stringMatching(/channel_not_found/) });
});

it("email fails over from SendGrid's API (5xx) to SMTP, both attempts in the history", async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/providers/sendgrid').set(ws.auth).send({ channel: 'email', provider: 'sendgrid', priority: 1, max_attempts: 1, config: { api_key: SENDGRID_KEY, from_email: 'news@herald.test', api_base_url: sendgrid.url } }).expect(200);
  await herald.http.put('/providers/smtp').set(ws.auth).send({ channel: 'email', provider: 'smtp', priority: 2 }).expect(200);
  await herald.http.put('/notifications/hello').set(ws.auth).send({ name: 'Hello', channels: { email: { subject: 'Hello {{ data.who }}', text: 'Hi' } } }).expect(200);

  const first = await send(ws.auth, { to: { email: 'ada@example.com' }, template: 'hello', data: { who: 'Ada' } });
  expect((await messageDecided(herald, ws.auth, first)).status).toBe('SENT');
  expect(sendgrid.requests.filter((r) => r.body?.personalizations?.[0]?.to?.[0]?.email === 'ada@example.com')).toHaveLength(1);
  expect(smtp.envelope.filter((a) => a === 'ada@example.com')).toHaveLength(0);

  sendgrid.failNext(1, 503, { errors: [{ message: 'Service Unavailable' }] });
  const second = await send(ws.auth, { to: { email: 'bob@example.com' }, template: 'hello', data: { who: 'Bob' } });
  expect((await messageDecided(herald, ws.auth, second)).status).toBe('SENT');
  expect(smtp.envelope.filter((a) => a === 'bob@example.com')).toHaveLength(1);
  expect(smtp.messages.find((m) => m.subject === 'Hello Bob')).toBeDefined();
  expect((await attempts(ws.auth, second)).map((a) => [a.provider, a.state, a.status_code])).toEqual([['sendgrid', 'failed', 503], ['smtp', 'accepted', null]]);
});

it("push through Expo: the sweep reads the tickets' receipts — DELIVERED when one went through, UNDELIVERABLE when none did, a dead token removed", async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/providers/expo').set(ws.auth).send({ channel: 'push', provider: 'expo', config: { access_token: EXPO_TOKEN, api_base_url: expo.url } }).expect(200);
  await herald.http.put('/notifications/ping').set(ws.auth).send({ name: 'Ping', channels: { push: { title: 'Hi {{ profile.name }}', body: 'ping' } } }).expect(200);
  const [live, gone, big, later] = ['live', 'gone', 'big', 'later'].map((t) => `ExponentPushToken[${t}-${ws.id.slice(0, 8)}]`);
  // Decided before the sends, so a sweep of the schedule and the test's own read the same receipts.
  expo.receiptError(gone, 'DeviceNotRegistered');
  expo.receiptError(big, 'MessageTooBig');
  expo.pendingReceipts.add(later);
  await herald.http.put('/profiles/ada').set(ws.auth).send({ profile: { name: 'Ada', expo: { tokens: [live, gone] } } }).expect(200);
  await herald.http.put('/profiles/bob').set(ws.auth).send({ profile: { name: 'Bob', expo: { tokens: [big] } } }).expect(200);
  await herald.http.put('/profiles/cy').set(ws.auth).send({ profile: { name: 'Cy', expo: { tokens: [later] } } }).expect(200);
  const [ada, bob, cy] = [await send(ws.auth, { to: { user_id: 'ada' }, template: 'ping' }), await send(ws.auth, { to: { user_id: 'bob' }, template: 'ping' }), await send(ws.auth, { to: { user_id: 'cy' }, template: 'ping' })];
  for (const id of [ada, bob, cy]) expect((await messageDecided(herald, ws.auth, id)).status).toBe('SENT');

  const sweep = herald.app.get(SweepService);
  const status = async (id: string) => (await herald.http.get(`/messages/${id}`).set(ws.auth).expect(200)).body;
  await waitUntil(async () => {
    await sweep.sweep();
    return (await status(ada)).status === 'DELIVERED' && (await status(bob)).status === 'UNDELIVERABLE';
  }, { timeoutMs: 20_000, intervalMs: 200, what: 'the receipts read' });
  const history = (await herald.http.get(`/messages/${ada}/history`).set(ws.auth)).body.items;
  expect(history.map((i: { status: string }) => i.status)).toEqual(['ENQUEUED', 'SENT', 'DELIVERED']);
  expect(history[2].detail).toMatchObject({ provider: 'expo', provider_id: 'expo', receipt: true, tickets: 2 });
  const failed = await status(bob);
  expect(failed.error).toMatch(/^expo: MessageTooBig: /);
  expect(failed.error).not.toContain(big);
  // The unregistered token is off Ada's profile; the live one stays.
  expect((await herald.http.get('/profiles/ada').set(ws.auth).expect(200)).body.profile.expo.tokens).toEqual([live]);
  // A receipt not ready yet: the ticket waits for a later sweep.
  expect((await status(cy)).status).toBe('SENT');
  expect(await herald.db.query('SELECT message_id FROM push_receipt_tickets WHERE workspace_id = $1', [ws.id])).toEqual([{ message_id: cy }]);
  expo.pendingReceipts.delete(later);
  await waitUntil(async () => {
    await sweep.sweep();
    return (await status(cy)).status === 'DELIVERED';
  }, { timeoutMs: 20_000, intervalMs: 200, what: 'the late receipt read' });
  expect(await herald.db.query('SELECT 1 FROM push_receipt_tickets WHERE workspace_id = $1', [ws.id])).toEqual([]);
  for (const r of expo.receiptRequests()) expect(r.headers.authorization).toBe(`Bearer ${EXPO_TOKEN}`);
  expect(expo.receiptRequests().length).toBeGreaterThanOrEqual(2);
});

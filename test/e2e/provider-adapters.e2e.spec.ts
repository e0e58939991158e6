import { generateKeyPairSync, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { safeFetch } from '../../src/common/net/safe-fetch';
import { PROVIDER_ADAPTERS } from '../../src/providers/adapters';
import { apnsAdapter, apnsIdFor } from '../../src/providers/adapters/apns.adapter';
import { expoAdapter } from '../../src/providers/adapters/expo.adapter';
import { fcmAdapter } from '../../src/providers/adapters/fcm.adapter';
import { httpSmsAdapter } from '../../src/providers/adapters/http-sms.adapter';
import { sendgridAdapter } from '../../src/providers/adapters/sendgrid.adapter';
import { slackWebhookAdapter } from '../../src/providers/adapters/slack-webhook.adapter';
import { slackAdapter } from '../../src/providers/adapters/slack.adapter';
import { teamsWebhookAdapter } from '../../src/providers/adapters/teams-webhook.adapter';
import { twilioAdapter } from '../../src/providers/adapters/twilio.adapter';
import { ProviderAdapter, ProviderError, ProviderErrorKind, ProviderSend } from '../../src/providers/provider.types';
import {
  fcmError,
  startApnsSink,
  startExpoSink,
  startFcmSink,
  startGoogleOAuthSink,
  startHttpSmsSink,
  startSendGridSink,
  startSlackSink,
  startSlackWebhookSink,
  startTeamsWebhookSink,
  startTwilioSink,
  TEAMS_THROTTLED,
} from '../support/provider-sinks';

/**
 * Each provider adapter's send() straight against a local sink of that provider's API: the
 * request it makes, the receipt it returns, and how it maps failures to retryable / recipient /
 * provider. No Herald service is involved (no database, no Temporal).
 */

const LOCAL = ['127.0.0.0/8', '::1/128'];

/**
 * A ProviderSend as the delivery service builds one, through the real safeFetch. It records the
 * order of commit() and the requests, and how many requests the sink had seen at commit time
 * (0: nothing left before the point of no return).
 */
function sendOf(sink: { requests: unknown[] }, over: Partial<ProviderSend> & { allow?: string[] } = {}) {
  const { allow = LOCAL, ...rest } = over;
  const events: string[] = [];
  let sinkRequestsAtCommit: number | null = null;
  const req: ProviderSend = {
    workspaceId: 'ws_adapters',
    messageId: randomUUID(),
    config: {},
    content: {},
    address: null,
    statusCallbackUrl: null,
    commit: async () => {
      events.push('commit');
      sinkRequestsAtCommit = sink.requests.length;
    },
    fetch: (url, o) => {
      events.push(`fetch ${new URL(url).pathname}`);
      return safeFetch(url, { ...o, allowPrivateNetworks: allow });
    },
    allowPrivateNetworks: allow,
    ...rest,
  };
  return { req, events, commits: () => events.filter((e) => e === 'commit').length, atCommit: () => sinkRequestsAtCommit };
}

/** The ProviderError a send fails with, checked for its kind and for no secret in its message. */
async function failure(adapter: ProviderAdapter, req: ProviderSend, kind: ProviderErrorKind, secrets: string[] = []): Promise<ProviderError> {
  const err = await adapter.send(req).then(
    (r) => {
      throw new Error(`expected a ${kind} error, got a receipt: ${JSON.stringify(r)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  const e = err as ProviderError;
  expect({ kind: e.kind, message: e.message }).toEqual({ kind, message: expect.any(String) });
  for (const s of secrets) expect(e.message).not.toContain(s);
  return e;
}

/** A port nothing listens on (a server opened and closed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('the registry has every adapter by name', () => {
  expect(Object.keys(PROVIDER_ADAPTERS).sort()).toEqual(['apns', 'expo', 'fcm', 'http-sms', 'sendgrid', 'slack', 'slack-webhook', 'teams-webhook', 'twilio']);
  for (const [name, a] of Object.entries(PROVIDER_ADAPTERS)) expect(a.name).toBe(name);
});

describe('twilio', () => {
  const accountSid = `AC${'1'.repeat(32)}`;
  const authToken = 'twilio-auth-token-123';
  let sink: Awaited<ReturnType<typeof startTwilioSink>>;
  const config = () => ({ account_sid: accountSid, auth_token: authToken, from: '+15005550006', api_base_url: sink.url });
  beforeAll(async () => (sink = await startTwilioSink({ accountSid, authToken })));
  afterAll(() => sink.close());

  test('sends, and maps 5xx, 429, bad credentials and a refused number', async () => {
    const ok = sendOf(sink, { config: config(), address: '+15551230001', content: { text: 'hi' } });
    const receipt = await twilioAdapter.send(ok.req);
    expect(receipt.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(ok.events).toEqual(['commit', `fetch /2010-04-01/Accounts/${accountSid}/Messages.json`]);
    sink.failNext(1, 500, { code: 20500, message: 'Internal Server Error' });
    await failure(twilioAdapter, sendOf(sink, { config: config(), address: '+15551230001', content: { text: 'hi' } }).req, 'retryable');
    sink.tooManyRequests(1);
    await failure(twilioAdapter, sendOf(sink, { config: config(), address: '+15551230001', content: { text: 'hi' } }).req, 'retryable');
    await failure(twilioAdapter, sendOf(sink, { config: { ...config(), auth_token: 'wrong-token-456' }, address: '+15551230001', content: { text: 'hi' } }).req, 'provider', ['wrong-token-456']);
    sink.refuse('+15005550001');
    await failure(twilioAdapter, sendOf(sink, { config: config(), address: '+15005550001', content: { text: 'hi' } }).req, 'recipient');
  });
});

describe('http-sms', () => {
  const apiKey = 'sms-key-0123456789';
  let sink: Awaited<ReturnType<typeof startHttpSmsSink>>;
  const send = (over: Partial<ProviderSend> & { allow?: string[] } = {}) =>
    sendOf(sink, { config: { url: sink.url, api_key: apiKey }, address: '+15551230002', content: { text: 'Your code is 1234' }, statusCallbackUrl: 'https://herald.example/receipts/x', ...over });
  beforeAll(async () => (sink = await startHttpSmsSink({ apiKey })));
  afterAll(() => sink.close());
  beforeEach(() => void sink.requests.splice(0));

  test('posts the documented JSON with the idempotency key and returns the id', async () => {
    const s = send();
    const receipt = await httpSmsAdapter.send(s.req);
    expect(sink.requests).toHaveLength(1);
    const r = sink.requests[0];
    expect(r.body).toEqual({ message_id: s.req.messageId, to: '+15551230002', text: 'Your code is 1234', status_callback_url: 'https://herald.example/receipts/x' });
    expect(r.headers).toMatchObject({ 'idempotency-key': s.req.messageId, authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });
    expect(receipt).toEqual({ response: expect.stringMatching(/^HTTP 200 msg_/), providerMessageId: expect.stringMatching(/^msg_[0-9a-f]{16}$/), delivered: false });
    expect(s.events).toEqual(['commit', 'fetch /v1/messages']);
    expect(s.atCommit()).toBe(0);
    // The provider dedupes on the key: the same message again reaches the phone once.
    const again = await httpSmsAdapter.send(send({ messageId: s.req.messageId }).req);
    expect(again.providerMessageId).toBe(receipt.providerMessageId);
    expect(sink.deliveries.filter((d) => d.body.message_id === s.req.messageId)).toHaveLength(1);
  });

  test('5xx and 429 are retryable, a bad key is provider, a refused number is recipient', async () => {
    sink.failNext(1, 503, { error: 'unavailable' });
    expect((await failure(httpSmsAdapter, send().req, 'retryable')).details.status).toBe(503);
    sink.failNext(1, 429, { error: 'rate_limited' }, { 'Retry-After': '2' });
    await failure(httpSmsAdapter, send().req, 'retryable');
    await failure(httpSmsAdapter, send({ config: { url: sink.url, api_key: 'not-the-key-999' } }).req, 'provider', ['not-the-key-999', apiKey]);
    sink.refuse('+15005550001');
    await failure(httpSmsAdapter, send({ address: '+15005550001' }).req, 'recipient');
  });

  test('SSRF: with no private network allowed the loopback sink is refused before anything is sent', async () => {
    const e = await failure(httpSmsAdapter, send({ allow: [] }).req, 'provider', [apiKey]);
    expect(e.message).toMatch(/Refused to connect to 127\.0\.0\.1/);
    expect(sink.requests).toHaveLength(0);
  });
});

describe('fcm', () => {
  const clientEmail = 'herald@herald-test.iam.gserviceaccount.com';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let oauth: Awaited<ReturnType<typeof startGoogleOAuthSink>>;
  let sink: Awaited<ReturnType<typeof startFcmSink>>;
  const config = (over: Record<string, unknown> = {}) => ({
    service_account: { type: 'service_account', project_id: 'herald-test', private_key_id: 'abc123', client_email: clientEmail, private_key: privatePem, token_uri: oauth.tokenUri, ...over },
    api_base_url: sink.url,
  });
  const content = (firebase: string[], data: Record<string, unknown> = { order: 42, kind: 'shipped' }) => ({ title: 'Shipped', body: 'Your order is on its way', data, tokens: { firebase, apn: [], expo: [] } }) as any;
  beforeAll(async () => {
    oauth = await startGoogleOAuthSink({ clientEmail, publicKey });
    sink = await startFcmSink({ projectId: 'herald-test', oauth });
  });
  afterAll(async () => {
    await sink.close();
    await oauth.close();
  });
  beforeEach(() => {
    sink.requests.splice(0);
    oauth.requests.splice(0);
  });

  test('gets an access token, then sends one message per token (data as strings), committing before the first send', async () => {
    // The service account as the JSON text of the downloaded key file.
    const s = sendOf(sink, { config: { ...config(), service_account: JSON.stringify(config().service_account) }, content: content(['tok-a', 'tok-b']) });
    const receipt = await fcmAdapter.send(s.req);
    expect(oauth.requests).toHaveLength(1);
    expect(oauth.requests[0].body).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: expect.any(String) });
    expect(s.events).toEqual(['fetch /token', 'commit', 'fetch /v1/projects/herald-test/messages:send', 'fetch /v1/projects/herald-test/messages:send']);
    expect(s.atCommit()).toBe(0);
    expect(sink.requests.map((r) => r.body)).toEqual(
      ['tok-a', 'tok-b'].map((token) => ({ message: { token, notification: { title: 'Shipped', body: 'Your order is on its way' }, data: { order: '42', kind: 'shipped' } } })),
    );
    expect(sink.requests[0].headers.authorization).toMatch(/^Bearer ya29\./);
    expect(receipt).toEqual({ response: expect.stringContaining('2/2 tokens accepted'), providerMessageId: expect.stringMatching(/^projects\/herald-test\/messages\/0:/), delivered: false });

    // The access token is cached: the next send asks for none.
    await fcmAdapter.send(sendOf(sink, { config: config(), content: content(['tok-c']) }).req);
    expect(oauth.requests).toHaveLength(1);
  });

  test('unregistered tokens: listed on the receipt when another was accepted; all of them is a recipient error', async () => {
    const mixed = await fcmAdapter.send(sendOf(sink, { config: config(), content: content(['unregistered-1', 'tok-ok', 'invalid-2']) }).req);
    expect(mixed.unregisteredTokens).toEqual(['unregistered-1', 'invalid-2']);
    expect(mixed.providerMessageId).toMatch(/^projects\/herald-test\/messages\//);
    sink.refuse('tok-gone');
    const e = await failure(fcmAdapter, sendOf(sink, { config: config(), content: content(['unregistered-3', 'tok-gone']) }).req, 'recipient');
    expect(e.details.unregisteredTokens).toEqual(['unregistered-3', 'tok-gone']);
    await failure(fcmAdapter, sendOf(sink, { config: config(), content: content([]) }).req, 'recipient');
  });

  test('5xx and 429 are retryable until a token was accepted; after one, the receipt', async () => {
    sink.failNext(1, 503, fcmError(503, 'UNAVAILABLE'));
    await failure(fcmAdapter, sendOf(sink, { config: config(), content: content(['tok-a']) }).req, 'retryable');
    sink.failNext(1, 429, fcmError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), { 'Retry-After': '10' });
    await failure(fcmAdapter, sendOf(sink, { config: config(), content: content(['tok-a', 'tok-b']) }).req, 'retryable');
    expect(sink.requests).toHaveLength(2); // the 429 stopped the send: tok-b was not tried

    // tok-a accepted, then a 500 for tok-b: resending (or failing over) would push tok-a twice.
    sink.requests.splice(0);
    const ok = sendOf(sink, { config: config(), content: content(['tok-a', 'tok-b', 'tok-c']) });
    const first = sink.hold();
    const pending = fcmAdapter.send(ok.req);
    await waitFor(() => sink.held() === 1);
    sink.failNext(1, 500, fcmError(500, 'INTERNAL'));
    first();
    const receipt = await pending;
    expect(receipt.response).toMatch(/1\/3 tokens accepted; 2 not sent: fcm: HTTP 500/);
    expect(sink.requests).toHaveLength(2);
  });

  test('auth: a refused service account and a revoked access token are provider errors', async () => {
    const other = config({ client_email: 'intruder@herald-test.iam.gserviceaccount.com' });
    const e = await failure(fcmAdapter, sendOf(sink, { config: other, content: content(['tok-a']) }).req, 'provider', [privatePem]);
    expect(e.message).toMatch(/invalid_grant/);
    // Signed with another key than the service account's: Google's signature check refuses it.
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = await failure(fcmAdapter, sendOf(sink, { config: config({ private_key: otherKey, client_email: 'forged@herald-test.iam.gserviceaccount.com' }), content: content(['tok-a']) }).req, 'provider', [otherKey]);
    expect(forged.message).toMatch(/Invalid JWT Signature/);
    expect(sink.requests).toHaveLength(0);

    await fcmAdapter.send(sendOf(sink, { config: config(), content: content(['tok-a']) }).req); // a cached token
    oauth.revokeAll();
    const s = sendOf(sink, { config: config(), content: content(['tok-a']) });
    await failure(fcmAdapter, s.req, 'provider');
    expect(s.events).toEqual(['commit', 'fetch /v1/projects/herald-test/messages:send']); // the cached token, now refused
    // The refused token was dropped: the next send signs in again and passes.
    const again = sendOf(sink, { config: config(), content: content(['tok-a']) });
    await fcmAdapter.send(again.req);
    expect(again.events[0]).toBe('fetch /token');
  });
});

describe('apns', () => {
  const teamId = 'TEAM123456';
  const keyId = 'KEY1234567';
  const bundleId = 'com.example.herald';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const token = (n: number) => n.toString(16).padStart(64, 'a');
  let sink: Awaited<ReturnType<typeof startApnsSink>>;
  const config = (over: Record<string, unknown> = {}) => ({ key_id: keyId, team_id: teamId, private_key: p8, bundle_id: bundleId, api_base_url: sink.url, ...over });
  const content = (apn: string[]) => ({ title: 'Shipped', body: 'On its way', data: { order: 42 }, tokens: { firebase: [], apn, expo: [] } }) as any;
  beforeAll(async () => (sink = await startApnsSink({ teamId, keyId, publicKey, bundleId })));
  afterAll(() => sink.close());
  beforeEach(() => void sink.requests.splice(0));

  test('posts each token over HTTP/2 with the provider token, topic, push type and apns-id', async () => {
    const s = sendOf(sink, { messageId: 'msg_not_a_uuid_1', config: config(), content: content([token(1), token(2)]) });
    const receipt = await apnsAdapter.send(s.req);
    expect(s.atCommit()).toBe(0);
    expect(s.events).toEqual(['commit']); // no req.fetch: HTTP/2 on its own guarded connection
    expect(sink.requests.map((r) => r.path)).toEqual([`/3/device/${token(1)}`, `/3/device/${token(2)}`]);
    const apnsId = apnsIdFor('msg_not_a_uuid_1');
    expect(apnsId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const r of sink.requests) {
      expect(r.headers).toMatchObject({ 'apns-topic': bundleId, 'apns-push-type': 'alert', 'apns-id': apnsId, authorization: expect.stringMatching(/^bearer /) });
      expect(r.body).toEqual({ aps: { alert: { title: 'Shipped', body: 'On its way' } }, order: 42 });
      expect(r.status).toBe(200);
    }
    expect(receipt).toMatchObject({ providerMessageId: apnsId, delivered: false });
    const uuid = randomUUID();
    expect(apnsIdFor(uuid)).toBe(uuid);
  });

  test('410 Unregistered and 400 BadDeviceToken are unregistered tokens', async () => {
    sink.refuse(token(3));
    const mixed = await apnsAdapter.send(sendOf(sink, { config: config(), content: content([token(3), token(4), 'not-hex']) }).req);
    expect(mixed.unregisteredTokens).toEqual([token(3), 'not-hex']);
    const e = await failure(apnsAdapter, sendOf(sink, { config: config(), content: content([token(3)]) }).req, 'recipient');
    expect(e.details.unregisteredTokens).toEqual([token(3)]);
  });

  test('5xx and 429 are retryable, a bad provider token is provider, a dead port is retryable', async () => {
    sink.failNext(1, 503, { reason: 'ServiceUnavailable' });
    await failure(apnsAdapter, sendOf(sink, { config: config(), content: content([token(5)]) }).req, 'retryable');
    sink.failNext(1, 429, { reason: 'TooManyRequests' });
    await failure(apnsAdapter, sendOf(sink, { config: config(), content: content([token(5)]) }).req, 'retryable');
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const e = await failure(apnsAdapter, sendOf(sink, { config: config({ private_key: otherKey }), content: content([token(5)]) }).req, 'provider', [otherKey]);
    expect(e.message).toBe('apns: HTTP 403 InvalidProviderToken');
    const port = await closedPort();
    await failure(apnsAdapter, sendOf(sink, { config: config({ api_base_url: `http://127.0.0.1:${port}` }), content: content([token(5)]) }).req, 'retryable');
  });

  test('SSRF: a loopback address (literal or by name) is refused unless allowed, and nothing reaches the sink', async () => {
    await failure(apnsAdapter, sendOf(sink, { allow: [], config: config(), content: content([token(6)]) }).req, 'provider');
    const byName = sendOf(sink, { allow: [], config: config({ api_base_url: sink.url.replace('127.0.0.1', 'localhost') }), content: content([token(6)]) });
    const e = await failure(apnsAdapter, byName.req, 'provider');
    expect(e.message).toMatch(/Refused to connect to localhost/);
    expect(byName.commits()).toBe(0); // refused while connecting, before the commit point
    expect(sink.requests).toHaveLength(0);
  });
});

describe('expo', () => {
  const accessToken = 'expo-access-token-0123';
  let sink: Awaited<ReturnType<typeof startExpoSink>>;
  const t = (s: string) => `ExponentPushToken[${s}]`;
  const send = (expo: string[], config: Record<string, unknown> = { access_token: accessToken, api_base_url: sink.url }) =>
    sendOf(sink, { config, content: { title: 'Hi', body: 'There', data: { a: 1 }, tokens: { firebase: [], apn: [], expo } } as any });
  beforeAll(async () => (sink = await startExpoSink({ accessToken })));
  afterAll(() => sink.close());
  beforeEach(() => void sink.requests.splice(0));

  test('sends all tokens in one request and reads the tickets in order', async () => {
    sink.refuse(t('gone'));
    const s = send([t('a'), t('gone'), t('b')]);
    const receipt = await expoAdapter.send(s.req);
    expect(s.events).toEqual(['commit', 'fetch /--/api/v2/push/send']);
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0].body).toEqual([t('a'), t('gone'), t('b')].map((to) => ({ to, title: 'Hi', body: 'There', data: { a: 1 } })));
    expect(sink.requests[0].headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(receipt).toMatchObject({ providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/), unregisteredTokens: [t('gone')] });
    const e = await failure(expoAdapter, send([t('gone')]).req, 'recipient');
    expect(e.details.unregisteredTokens).toEqual([t('gone')]);
  });

  test('5xx and 429 are retryable, a bad access token is provider', async () => {
    sink.failNext(1, 502, { errors: [{ code: 'INTERNAL_SERVER_ERROR', message: 'An unknown error occurred.' }] });
    await failure(expoAdapter, send([t('a')]).req, 'retryable');
    sink.failNext(1, 429, { errors: [{ code: 'TOO_MANY_REQUESTS', message: 'Too many requests' }] });
    await failure(expoAdapter, send([t('a')]).req, 'retryable');
    const e = await failure(expoAdapter, send([t('a')], { access_token: 'expo-wrong-token-999', api_base_url: sink.url }).req, 'provider', ['expo-wrong-token-999']);
    expect(e.message).toMatch(/UNAUTHORIZED/);
  });
});

describe('slack', () => {
  const botToken = 'xoxb-1111-2222-abcdefabcdef';
  let sink: Awaited<ReturnType<typeof startSlackSink>>;
  const config = (over: Record<string, unknown> = {}) => ({ bot_token: botToken, default_channel: '#general', api_base_url: sink.url, ...over });
  beforeAll(async () => (sink = await startSlackSink({ botToken })));
  afterAll(() => sink.close());
  beforeEach(() => void sink.requests.splice(0));

  test('posts chat.postMessage to the address, else the default channel', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Hi*' } }];
    const s = sendOf(sink, { config: config(), address: 'C0123456789', content: { text: 'Hi', blocks } });
    const receipt = await slackAdapter.send(s.req);
    expect(s.events).toEqual(['commit', 'fetch /api/chat.postMessage']);
    expect(sink.requests[0].body).toEqual({ channel: 'C0123456789', text: 'Hi', blocks });
    expect(sink.requests[0].headers.authorization).toBe(`Bearer ${botToken}`);
    expect(receipt).toEqual({ response: expect.stringContaining('ok C0123456789'), providerMessageId: expect.stringMatching(/^\d+\.\d{6}$/), delivered: true });
    await slackAdapter.send(sendOf(sink, { config: config(), content: { text: 'Hi', blocks: null } }).req);
    expect(sink.requests[1].body).toEqual({ channel: '#general', text: 'Hi' });
  });

  test('5xx, 429 and ratelimited are retryable; invalid_auth is provider; channel_not_found and not_in_channel are recipient', async () => {
    const s = () => sendOf(sink, { config: config(), address: '#alerts', content: { text: 'Hi' } }).req;
    sink.failNext(1, 503, 'Service Unavailable');
    await failure(slackAdapter, s(), 'retryable');
    sink.failNext(1, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '30' });
    await failure(slackAdapter, s(), 'retryable');
    sink.failNext(1, 200, { ok: false, error: 'ratelimited' });
    await failure(slackAdapter, s(), 'retryable');
    const e = await failure(slackAdapter, sendOf(sink, { config: config({ bot_token: 'xoxb-wrong-token-777' }), content: { text: 'Hi' } }).req, 'provider', ['xoxb-wrong-token-777', botToken]);
    expect(e.message).toBe('slack: HTTP 200 invalid_auth');
    sink.refuse('#gone');
    await failure(slackAdapter, sendOf(sink, { config: config(), address: '#gone', content: { text: 'Hi' } }).req, 'recipient');
    sink.refuse('#private', 'not_in_channel');
    await failure(slackAdapter, sendOf(sink, { config: config(), address: '#private', content: { text: 'Hi' } }).req, 'recipient');
    await failure(slackAdapter, sendOf(sink, { config: config({ default_channel: undefined }), content: { text: 'Hi' } }).req, 'recipient');
  });
});

describe('slack-webhook', () => {
  let sink: Awaited<ReturnType<typeof startSlackWebhookSink>>;
  beforeAll(async () => (sink = await startSlackWebhookSink()));
  afterAll(() => sink.close());
  const send = (url = sink.url) => sendOf(sink, { config: { webhook_url: url }, content: { text: 'Deployed', blocks: [{ type: 'divider' }] } });

  test('posts text and blocks; ok is delivered', async () => {
    const s = send();
    const receipt = await slackWebhookAdapter.send(s.req);
    expect(s.atCommit()).toBe(0);
    expect(sink.requests[0].body).toEqual({ text: 'Deployed', blocks: [{ type: 'divider' }] });
    expect(receipt).toEqual({ response: 'HTTP 200 ok', providerMessageId: null, delivered: true });
  });

  test('5xx and 429 are retryable; a gone webhook or an archived channel is provider', async () => {
    sink.failNext(1, 500, 'rollup_error');
    await failure(slackWebhookAdapter, send().req, 'retryable');
    sink.failNext(1, 429, 'rate_limited', { 'Retry-After': '1' });
    await failure(slackWebhookAdapter, send().req, 'retryable');
    const gone = `${sink.url}x`;
    const e = await failure(slackWebhookAdapter, send(gone).req, 'provider', [new URL(gone).pathname]);
    expect(e.message).toBe('slack-webhook: HTTP 404 no_service');
    sink.archive();
    await failure(slackWebhookAdapter, send().req, 'provider');
  });
});

describe('teams-webhook', () => {
  let sink: Awaited<ReturnType<typeof startTeamsWebhookSink>>;
  beforeAll(async () => (sink = await startTeamsWebhookSink()));
  afterAll(() => sink.close());
  const send = (url = sink.url) => sendOf(sink, { config: { webhook_url: url }, content: { text: 'Build **green**' } });

  test('posts an Adaptive Card message; 200 is delivered', async () => {
    const s = send();
    const receipt = await teamsWebhookAdapter.send(s.req);
    expect(s.atCommit()).toBe(0);
    expect(sink.requests[0].body).toEqual({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'Build **green**', wrap: true }] } }],
    });
    expect(receipt).toEqual({ response: 'HTTP 200 1', providerMessageId: null, delivered: true });
  });

  test('5xx, 429 and a throttled 200 are retryable; a removed webhook is provider', async () => {
    sink.failNext(1, 502, 'Bad Gateway');
    await failure(teamsWebhookAdapter, send().req, 'retryable');
    sink.failNext(1, 429, 'Too Many Requests');
    await failure(teamsWebhookAdapter, send().req, 'retryable');
    sink.failNext(1, 200, TEAMS_THROTTLED);
    await failure(teamsWebhookAdapter, send().req, 'retryable');
    const gone = sink.url.replace(/[0-9a-f]{32}/, '0'.repeat(32));
    await failure(teamsWebhookAdapter, send(gone).req, 'provider', [new URL(gone).pathname]);
  });
});

describe('sendgrid', () => {
  const apiKey = 'SG.test-key.0123456789abcdef';
  let sink: Awaited<ReturnType<typeof startSendGridSink>>;
  const config = (over: Record<string, unknown> = {}) => ({ api_key: apiKey, from_email: 'news@herald.example', from_name: 'Herald', api_base_url: sink.url, ...over });
  const content = { subject: 'Welcome', text: 'Hello', html: '<p>Hello</p>', headers: { 'List-Unsubscribe': '<https://herald.example/u/1>', Subject: 'dropped: reserved' } };
  beforeAll(async () => (sink = await startSendGridSink({ apiKey })));
  afterAll(() => sink.close());
  beforeEach(() => void sink.requests.splice(0));

  test('posts v3 mail/send and returns the X-Message-Id', async () => {
    const s = sendOf(sink, { config: config(), address: 'ada@example.com', content });
    const receipt = await sendgridAdapter.send(s.req);
    expect(s.events).toEqual(['commit', 'fetch /v3/mail/send']);
    expect(sink.requests[0].body).toEqual({
      personalizations: [{ to: [{ email: 'ada@example.com' }] }],
      from: { email: 'news@herald.example', name: 'Herald' },
      subject: 'Welcome',
      content: [
        { type: 'text/plain', value: 'Hello' },
        { type: 'text/html', value: '<p>Hello</p>' },
      ],
      headers: { 'List-Unsubscribe': '<https://herald.example/u/1>', 'X-Herald-Message-Id': s.req.messageId },
      custom_args: { herald_message_id: s.req.messageId },
    });
    expect(sink.requests[0].status).toBe(202);
    expect(receipt).toEqual({ response: expect.stringMatching(/^HTTP 202 /), providerMessageId: expect.stringMatching(/^[\w-]{10,}$/), delivered: false });
  });

  test('5xx and 429 are retryable, a bad key is provider, a refused address is recipient', async () => {
    const s = (over: Partial<ProviderSend> = {}) => sendOf(sink, { config: config(), address: 'ada@example.com', content, ...over }).req;
    sink.failNext(1, 500, { errors: [{ message: 'internal error', field: null, help: null }] });
    await failure(sendgridAdapter, s(), 'retryable');
    sink.failNext(1, 429, { errors: [{ message: 'too many requests', field: null, help: null }] }, { 'X-RateLimit-Reset': '1' });
    await failure(sendgridAdapter, s(), 'retryable');
    await failure(sendgridAdapter, s({ config: config({ api_key: 'SG.wrong.key-999999' }) }), 'provider', ['SG.wrong.key-999999', apiKey]);
    const e = await failure(sendgridAdapter, s({ address: 'not-an-address' }), 'recipient');
    expect(e.message).toMatch(/personalizations\.0\.to\.0\.email/);
    sink.refuse('bounced@example.com');
    await failure(sendgridAdapter, s({ address: 'bounced@example.com' }), 'recipient');
  });
});

/** Polls `check` until true (no fixed sleeps), failing after `timeoutMs`. */
async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

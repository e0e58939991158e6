import type { Response } from 'supertest';
import { signTrackingToken } from '../../src/messages/tracking/tracking-tokens';
import { SecretsService } from '../../src/messages/secrets.service';
import { publishedTemplate, runReaches } from '../support/automations';
import { freePort } from '../support/ports';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Fault: Temporal is unreachable. Every endpoint of the live OpenAPI document is called on a
 * Herald whose Temporal address is dead, with real data of its own workspace (seeded by a
 * healthy Herald on the same Postgres): each answers 2xx/4xx, or 503 with Retry-After, never
 * a 500 and never a hang. The endpoints that once gave 500 are checked for what they must do:
 * save and catch up later, or answer 503 a client can retry.
 */
type Auth = Record<string, string>;
interface Route {
  method: string;
  path: string;
  params: string[];
}

let up: TestHerald;
let down: TestHerald;
let ws: Awaited<ReturnType<TestHerald['newWorkspace']>>;
let routes: Route[] = [];
const ids = { userId: 'td-user', tenantId: 'td-tenant', notificationId: 'td-note', alias: 'td-flow', templateId: '', runId: '', messageId: '', logId: '', keyId: '', scheduleId: 'td-schedule', listId: 'td.list', audienceId: 'td-audience', broadcastId: '', replayId: '', providerId: 'td-provider' };
const eventId = 'track/TD Event';

/** Valid bodies, so what is exercised is the Temporal path, not validation. */
const BODIES: Record<string, unknown> = {
  'POST /profiles/{userId}': { profile: { more: true } },
  'PUT /profiles/{userId}': { profile: { email: 'td@example.com' } },
  'PATCH /profiles/{userId}': { patch: [{ op: 'add', path: '/patched', value: true }] },
  'PUT /tenants/{tenantId}': { name: 'TD tenant' },
  'PUT /users/{userId}/tenants/{tenantId}': { profile: { role: 'x' } },
  'POST /inbound/events/{eventId}/automations': { name: 'TD draft' },
  'POST /automations/{templateIdOrAlias}/invoke': { recipient: 'td-user', data: { n: 1 } },
  'PUT /automations/{id}': { name: 'TD flow', steps: [{ action: 'delay', duration: '30 days' }] },
  'PUT /notifications/{id}': { name: 'TD note', channels: { inbox: { title: 't', body: 'b' } } },
  'PUT /schedules/{id}': { cron: '0 9 1 1 *', target: { template: 'td-note', to: { user_id: 'td-user' } } },
  'POST /automations': { name: 'TD new', steps: [{ action: 'exit' }] },
  'POST /automations/invoke': { recipient: 'td-user', automation: { steps: [{ action: 'exit' }] } },
  'POST /automations/cancel': { cancelation_token: 'td-token' },
  'POST /send': { message: { to: { user_id: 'td-user' }, template: 'td-note' } },
  'POST /inbound/rudderstack': { type: 'track', userId: 'td-user', event: 'TD Event', messageId: 'td-down-1' },
  'POST /inbound/segment': { type: 'identify', userId: 'td-user', traits: { seen: true }, messageId: 'td-down-2' },
  'PUT /integrations/rudderstack': { write_key: 'td-write-key-2', data_plane_url: 'http://127.0.0.1:9', enabled: true, journey_events: true },
  'POST /keys': { name: 'td-second' },
  'PUT /webhooks/allowed-hosts': { hosts: ['hooks.example.com'] },
  'PUT /subscription-topics/{topicId}': { name: 'TD topic', default_status: 'OPTED_IN' },
  'PUT /users/{userId}/preferences/{topicId}': { topic: { status: 'OPTED_OUT' } },
  'PUT /tenants/{tenantId}/default_preferences/items/{topicId}': { status: 'OPTED_OUT' },
  'PUT /preferences/topics/{topicId}': { name: 'TD topic', default_status: 'OPTED_IN' },
  'PUT /settings/delivery': { default_timezone: 'Europe/Oslo' },
  'PUT /lists/{listId}': { name: 'TD list' },
  'POST /lists/{listId}/subscriptions': { recipients: [{ recipientId: 'td-user' }] },
  'PUT /lists/{listId}/subscriptions': { recipients: [{ recipientId: 'td-user' }] },
  'PUT /audiences/{audienceId}': { name: 'TD audience', filter: ['profile.email', 'exists'] },
  'POST /broadcasts': { name: 'TD broadcast', list_id: 'td.list', template: 'td-note' },
  'POST /inbound/replays': { event: 'TD Event' },
  'PUT /providers/{id}': { channel: 'sms', provider: 'twilio', config: { account_sid: `AC${'d'.repeat(32)}`, auth_token: 'td-token-0123456789', from: '+15005550006', api_base_url: 'http://127.0.0.1:9' } },
  'POST /providers/{id}/test': { to: { phone_number: '+14155550100' } },
};
/** Run last: they delete what other calls use. */
const LAST = (r: Route) => r.method === 'DELETE';

function paramValue(route: Route, name: string): string {
  switch (name) {
    case 'userId':
      return ids.userId;
    case 'tenantId':
      return ids.tenantId;
    case 'runId':
      return ids.runId;
    case 'templateIdOrAlias':
    case 'target':
      return ids.alias;
    case 'eventId':
      return eventId;
    case 'email':
      return 'td-suppressed@example.com';
    case 'topicId':
      return 'td-topic';
    case 'listId':
      return ids.listId;
    case 'audienceId':
      return ids.audienceId;
    case 'replayId':
      return ids.replayId;
    case 'id':
      if (route.path.startsWith('/inbound/events/log/')) return ids.logId;
      if (route.path.startsWith('/automations/')) return ids.templateId;
      if (route.path.startsWith('/notifications/')) return ids.notificationId;
      if (route.path.startsWith('/messages/') || route.path.startsWith('/inbox/messages/')) return ids.messageId;
      if (route.path.startsWith('/keys/')) return ids.keyId;
      if (route.path.startsWith('/schedules/')) return ids.scheduleId;
      if (route.path.startsWith('/broadcasts/')) return ids.broadcastId;
      if (route.path.startsWith('/providers/')) return ids.providerId;
      break;
  }
  throw new Error(`no value for path parameter "${name}" of ${route.method} ${route.path}: map it in temporal-down.spec.ts`);
}

function send(herald: TestHerald, method: string, url: string, auth: Auth, body?: unknown): Promise<Response> {
  const req = (herald.http as any)[method.toLowerCase()](url).set(auth).timeout(20_000) as import('supertest').Test;
  return body === undefined ? req : req.send(body as object);
}

beforeAll(async () => {
  up = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
  ws = await up.newWorkspace();
  const ok = async (res: Promise<Response> | Response, status: number) => {
    const r = await res;
    if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
    return r;
  };
  const a = ws.auth;
  await ok(up.http.put(`/profiles/${ids.userId}`).set(a).send({ profile: { email: 'td@example.com' } }), 200);
  await ok(up.http.put(`/tenants/${ids.tenantId}`).set(a).send({ name: 'TD' }), 200);
  await ok(up.http.put(`/users/${ids.userId}/tenants/${ids.tenantId}`).set(a).send({ profile: {} }), 200);
  await ok(up.http.put(`/notifications/${ids.notificationId}`).set(a).send({ name: 'TD', channels: { inbox: { title: 't', body: 'b' } } }), 200);
  ids.templateId = await publishedTemplate(up, a, { name: 'TD flow', alias: ids.alias, cancelation_token: 'td-token', steps: [{ action: 'delay', duration: '30 days' }] });
  await ok(up.http.put(`/inbound/events/${encodeURIComponent(eventId)}/automations/${ids.alias}`).set(a), 200);
  ids.runId = (await ok(up.http.post(`/automations/${ids.alias}/invoke`).set(a).send({ recipient: ids.userId }), 202)).body.runId;
  await runReaches(up, a, ids.runId, ['WAITING']);
  ids.messageId = (await ok(up.http.post('/send').set(a).send({ message: { to: { user_id: ids.userId }, template: ids.notificationId } }), 202)).body.requestId;
  await waitUntil(async () => (await up.http.get(`/messages/${ids.messageId}`).set(a)).body.status === 'DELIVERED', { what: 'the seeded message delivered' });
  await ok(up.http.post('/inbound/rudderstack').set(a).send({ type: 'identify', userId: ids.userId, traits: { v: 1 }, messageId: 'td-seed' }), 202);
  ids.logId = await waitUntil(async () => {
    const row = (await up.http.get('/inbound/events/log').set(a)).body.items?.find((r: any) => r.message_id === 'td-seed');
    return row && row.status !== 'pending' ? String(row.id) : undefined;
  }, { what: 'the seeded event processed' });
  await ok(up.http.put('/integrations/rudderstack').set(a).send({ write_key: 'td-write-key', data_plane_url: 'http://127.0.0.1:9', enabled: true, journey_events: true }), 200);
  await ok(up.http.post('/webhooks/signing-secret').set(a), 201);
  await ok(up.http.put(`/lists/${ids.listId}/subscriptions/${ids.userId}`).set(a), 204);
  ids.replayId = (await ok(up.http.post('/inbound/replays').set(a).send({ event: 'TD Event' }), 202)).body.id;
  await ok(up.http.put(`/providers/${ids.providerId}`).set(a).send(BODIES['PUT /providers/{id}'] as object), 200);
  ids.broadcastId = (await ok(up.http.post('/broadcasts').set(a).send({ name: 'TD', list_id: ids.listId, template: ids.notificationId }), 201)).body.id;
  await ok(up.http.put(`/schedules/${ids.scheduleId}`).set(a).send({ cron: '0 9 1 1 *', target: { template: ids.notificationId, to: { user_id: ids.userId } } }), 200);

  down = await startTestHerald({ worker: false, temporalAddress: `127.0.0.1:${await freePort()}`, env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
  const doc = await down.http.get('/docs/openapi.json').expect(200);
  for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) routes.push({ method: method.toUpperCase(), path, params: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]) });
    }
  }
  if (routes.some((r) => r.path === '/keys')) ids.keyId = (await ok(up.http.post('/keys').set(a).send({ name: 'td-spare' }), 201)).body.id;
  routes = [...routes.filter((r) => !LAST(r)), ...routes.filter(LAST)];
}, 180_000);

afterAll(async () => {
  await down?.stop();
  await up?.stop();
}, 60_000);

it('every endpoint answers 2xx/4xx, or 503 with Retry-After, within the deadline: never a 500', async () => {
  expect(routes.length).toBeGreaterThanOrEqual(50);
  const failures: string[] = [];
  const answers: Record<string, number> = {};
  const bodies: Record<string, any> = {};
  for (const route of routes) {
    let url = route.path;
    for (const p of route.params) url = url.replace(`{${p}}`, encodeURIComponent(paramValue(route, p)));
    const key = `${route.method} ${route.path}`;
    const started = Date.now();
    const res = await send(down, route.method, url, ws.auth, BODIES[key]);
    answers[key] = res.status;
    bodies[key] = res.body;
    const took = Date.now() - started;
    if (res.status >= 500 && res.status !== 503) failures.push(`${key} → ${res.status} ${res.text.slice(0, 300)}`);
    // GET /ready's body is its status report ({ status, database, temporal }), not an error.
    if (res.status === 503 && (!res.headers['retry-after'] || (key !== 'GET /ready' && res.body.type !== 'service_unavailable'))) failures.push(`${key} → 503 without Retry-After or its type: ${JSON.stringify(res.headers)} ${res.text}`);
    if (took > 12_000) failures.push(`${key} took ${took} ms`);
  }
  console.log(`[temporal-down] ${routes.length} routes: ${JSON.stringify(answers)}`);
  expect(failures).toEqual([]);
  // Health says so; what needs Temporal to start something says so; what only changes Postgres goes on.
  expect(answers['GET /ready']).toBe(503);
  expect(answers['POST /automations/invoke']).toBe(503);
  // The cancel of td-token ran first, and a run planned under a canceled token is canceled at birth: no Temporal needed.
  expect(answers['POST /automations/{templateIdOrAlias}/invoke']).toBe(202);
  expect((await down.http.get(`/automations/runs/${bodies['POST /automations/{templateIdOrAlias}/invoke'].runId}`).set(ws.auth)).body.status).toBe('CANCELED');
  expect(answers['POST /inbound/rudderstack']).toBe(202);
  // The dashboard reads Postgres only.
  expect(answers['GET /dashboard']).toBe(200);
  expect(answers['PUT /integrations/rudderstack']).toBe(200);
  expect(answers['POST /automations/cancel']).toBe(202);
  // A schedule is stored only with its Temporal Schedule: nothing half-done; reading it falls back to Herald's own next runs.
  expect(answers['PUT /schedules/{id}']).toBe(503);
  expect(answers['GET /schedules/{id}']).toBe(200);
  expect(bodies['GET /schedules/{id}'].next_runs_source).toBe('herald');
});

it('a run cancel decides in Postgres while Temporal is down', async () => {
  // The seeded run was canceled by the sweep above (POST /automations/cancel with its token).
  expect((await down.http.get(`/automations/runs/${ids.runId}`).set(ws.auth)).body.status).toBe('CANCELED');
});

it('tracking: the pixel still returns its image and a click still redirects', async () => {
  const secret = await down.app.get(SecretsService).trackingSecret();
  const message = (await up.http.post('/send').set(ws.auth).send({ message: { to: { user_id: ids.userId }, content: { title: 'x', body: 'y' } } }).expect(202)).body.requestId;
  await waitUntil(async () => (await up.http.get(`/messages/${message}`).set(ws.auth)).body.status === 'DELIVERED', { what: 'message delivered' });
  const pixel = await down.http.get(`/t/o/${signTrackingToken({ w: ws.id, m: message, k: 'o' }, secret)}`);
  expect(pixel.status).toBe(200);
  expect(pixel.headers['content-type']).toMatch(/image\/gif/);
  const click = await down.http.get(`/t/c/${signTrackingToken({ w: ws.id, m: message, k: 'c', u: 'https://example.com/landing' }, secret)}`).redirects(0);
  expect(click.status).toBe(302);
  expect(click.headers.location).toBe('https://example.com/landing');
  // Recorded in Postgres; the Message Clicked event waits in the outbox for the emitter.
  const history = await up.http.get(`/messages/${message}`).set(ws.auth);
  expect(history.body.clicked).not.toBeNull();
});

it('a message cancel answers without Temporal', async () => {
  const queued = await up.http.post('/send').set(ws.auth).send({ message: { to: { user_id: ids.userId }, content: { title: 'x', body: 'y' }, delay: { duration: '1 day' } } }).expect(202);
  await waitUntil(async () => (await up.http.get(`/messages/${queued.body.requestId}`).set(ws.auth)).body.status === 'ENQUEUED', { what: 'queued message' });
  const res = await down.http.post(`/messages/${queued.body.requestId}/cancel`).set(ws.auth);
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('CANCELED');
});

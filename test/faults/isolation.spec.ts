import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { publishedTemplate, runReaches } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Fault: a client holding workspace B's key learns (or guesses) workspace A's ids. Every
 * endpoint of the live OpenAPI document is called with B's key and A's ids: nothing of A may
 * be read, changed, canceled or leaked. New endpoints are covered automatically; one whose path
 * parameter has no mapping below, or whose answer differs from 404 without an exception written
 * down here, fails the test until someone decides what it should do.
 */

type Auth = Record<string, string>;
interface Route {
  method: string;
  path: string;
  params: string[];
}
interface Call {
  route: Route;
  url: string;
  body?: unknown;
}

let herald: TestHerald;
let A: Awaited<ReturnType<TestHerald['newWorkspace']>>;
let B: Awaited<ReturnType<TestHerald['newWorkspace']>>;
let routes: Route[];

const sfx = randomUUID().slice(0, 8);
/** A's data. Every string is unique to this run, so finding one in a response is a leak. */
const a = {
  userId: `a-user-${sfx}`,
  tenantId: `a-tenant-${sfx}`,
  profile: { email: `a-secret-${sfx}@example.com`, plan: `a-plan-${sfx}` },
  tenant: { name: `A Corp ${sfx}`, properties: { tier: `a-tier-${sfx}` } },
  membership: { role: `a-role-${sfx}` },
  notificationId: `a-note-${sfx}`,
  notification: { name: `A Note ${sfx}`, channels: { inbox: { title: `A title ${sfx}`, body: `A body ${sfx}` } }, routing: { method: 'single', channels: ['inbox'] } },
  templateName: `A Template ${sfx}`,
  alias: `a-alias-${sfx}`,
  token: `a-token-${sfx}`,
  runData: { secret: `a-run-data-${sfx}` },
  idempotencyKey: `a-idem-${sfx}`,
  mappedEvent: `A Mapped ${sfx}`,
  loggedEvent: `A Logged ${sfx}`,
  logMessageId: `a-msg-${sfx}`,
  eventSecret: `a-event-secret-${sfx}`,
  writeKey: `a-write-key-${sfx}`,
  // The integration points at the discard port, with a path only A's integration has (the key itself is shown masked).
  dataPlaneUrl: `http://127.0.0.1:9/a-plane-${sfx}`,
  // Filled in by beforeAll:
  templateId: '',
  draftTemplateId: '',
  runId: '',
  messageId: '',
  logId: '',
  signingSecret: '',
  keyId: '',
  keySecret: '',
  suppressedEmail: `a-suppressed-${Date.now()}@example.com`,
  topicId: `a-topic-${Date.now()}`,
  listId: `a-list.${sfx}`,
  audienceId: `a-audience-${sfx}`,
  broadcastId: '',
  replayId: '',
  providerId: `a-provider-${sfx}`,
  providerToken: `a-provider-token-${sfx}`,
  scheduleId: `a-schedule-${sfx}`,
};
const mappedEventId = () => `track/${a.mappedEvent}`;

/** Routes that need no key. */
const PUBLIC = [/^\/health$/, /^\/ready$/, /^\/docs(\/|$|-)/, /^\/t\//, /^\/studio(\/|$)/];
const isPublic = (path: string) => PUBLIC.some((re) => re.test(path));

/**
 * A's value(s) for a path parameter. `id` means something different under each prefix. An
 * unknown name throws: a new endpoint must be mapped here before this test passes.
 */
function paramValues(route: Route, name: string): string[] {
  switch (name) {
    case 'userId':
      return [a.userId];
    case 'tenantId':
      return [a.tenantId];
    case 'runId':
      return [a.runId];
    case 'templateIdOrAlias':
    case 'target':
      return [a.templateId, a.alias];
    case 'eventId':
      return [mappedEventId()];
    case 'email':
      return [a.suppressedEmail];
    case 'topicId':
      return [a.topicId];
    case 'listId':
      return [a.listId];
    case 'audienceId':
      return [a.audienceId];
    case 'replayId':
      return [a.replayId];
    case 'id':
      if (route.path.startsWith('/inbound/events/log/')) return [a.logId];
      if (route.path.startsWith('/automations/')) return [a.templateId, a.alias, a.draftTemplateId];
      if (route.path.startsWith('/notifications/')) return [a.notificationId];
      if (route.path.startsWith('/messages/')) return [a.messageId];
      if (route.path.startsWith('/inbox/messages/')) return [a.messageId];
      if (route.path.startsWith('/keys/')) return [a.keyId];
      if (route.path.startsWith('/broadcasts/')) return [a.broadcastId];
      if (route.path.startsWith('/schedules/')) return [a.scheduleId];
      if (route.path.startsWith('/providers/')) return [a.providerId];
      break;
  }
  throw new Error(`no mapping for path parameter "${name}" of ${route.method} ${route.path}: map it to A's value in isolation.spec.ts`);
}

/** A body that would be valid if the resource were B's, so a 404 is not hidden behind a 400. */
const BODIES: Record<string, unknown> = {
  'POST /profiles/{userId}': { profile: { intruder: 'b' } },
  'PUT /profiles/{userId}': { profile: { intruder: 'b' } },
  'PATCH /profiles/{userId}': { patch: [{ op: 'add', path: '/intruder', value: 'b' }] },
  'PUT /tenants/{tenantId}': { name: 'B tenant' },
  'PUT /users/{userId}/tenants/{tenantId}': { profile: { intruder: 'b' } },
  'POST /inbound/events/{eventId}/automations': { name: 'B draft' },
  'POST /automations/{templateIdOrAlias}/invoke': { recipient: 'b-user', data: { intruder: 'b' } },
  'PUT /automations/{id}': { name: 'B rename', steps: [] },
  'PUT /notifications/{id}': { name: 'B note', channels: { inbox: { title: 'B title', body: 'B body' } } },
  'PATCH /keys/{id}': { expires_in: '1 hour' },
  'PUT /subscription-topics/{topicId}': { name: 'B topic', default_status: 'OPTED_IN' },
  'PUT /preferences/topics/{topicId}': { name: 'B topic', default_status: 'OPTED_IN' },
  'PUT /lists/{listId}': { name: 'B list' },
  'PUT /schedules/{id}': { cron: '0 9 1 1 *', target: { template: 'b-note', to: { user_id: 'b-user' } } },
  'PUT /audiences/{audienceId}': { name: 'B audience', filter: ['profile.plan', 'is equal', 'b'] },
  'POST /lists/{listId}/subscriptions': { recipients: [{ recipientId: 'b-user' }] },
  'PUT /lists/{listId}/subscriptions': { recipients: [{ recipientId: 'b-user' }] },
  'PUT /users/{userId}/preferences/{topicId}': { topic: { status: 'OPTED_IN' } },
  'PUT /tenants/{tenantId}/default_preferences/items/{topicId}': { status: 'OPTED_OUT' },
  'PUT /providers/{id}': { channel: 'sms', provider: 'twilio', config: { account_sid: `AC${'b'.repeat(32)}`, auth_token: 'b-token-0123456789', from: '+15005550006' } },
  'POST /providers/{id}/test': { to: { phone_number: '+14155550100' } },
};

/**
 * Where B's key with A's ids legitimately answers something other than 404. `creates`: the
 * route writes B's own resource under that id (ids are per workspace); these run last, and A's
 * data is compared unchanged at the end instead.
 */
const EXCEPTIONS: Record<string, { status: number; why: string; creates?: boolean; check?: (res: Response) => void }> = {
  'GET /users/{userId}/tenants': {
    status: 200,
    why: "lists B's memberships of that user id: a user id names no row, B has none",
    check: (res) => expect(res.body.items).toEqual([]),
  },
  'GET /inbox/{userId}/messages': {
    status: 200,
    why: "B's inbox for that user id: empty",
    check: (res) => expect(res.body.items).toEqual([]),
  },
  'GET /inbound/events/{eventId}/automations': {
    status: 200,
    why: "an event id is a name, not a row; B's links for it: none",
    check: (res) => expect(res.body.items).toEqual([]),
  },
  'POST /profiles/{userId}': { status: 200, creates: true, why: "deep merge creates B's own profile with that user id" },
  'PUT /profiles/{userId}': { status: 200, creates: true, why: "creates/replaces B's own profile with that user id" },
  'PUT /tenants/{tenantId}': { status: 200, creates: true, why: "creates B's own tenant with that id" },
  'PUT /notifications/{id}': { status: 200, creates: true, why: "creates B's own notification template with that id" },
  'POST /inbound/events/{eventId}/automations': { status: 201, creates: true, why: "creates a draft in B linked to B's own event id" },
  'PUT /suppressions/{email}': { status: 200, creates: true, why: "suppresses the address in B's own list" },
  'PUT /subscription-topics/{topicId}': { status: 200, creates: true, why: "creates B's own topic with that id" },
  'PUT /preferences/topics/{topicId}': { status: 200, creates: true, why: "creates B's own topic with that id" },
  'GET /users/{userId}/preference-changes': {
    status: 200,
    why: "B's record of that user id's changes: none",
    check: (res) => expect(res.body.items).toEqual([]),
  },
  'PUT /lists/{listId}': { status: 204, creates: true, why: "creates B's own list with that id" },
  'PUT /schedules/{id}': { status: 200, creates: true, why: "creates B's own schedule with that id (its Temporal Schedule id carries B's workspace)" },
  'PUT /audiences/{audienceId}': { status: 200, creates: true, why: "creates B's own audience with that id (its members are B's profiles)" },
  'PUT /providers/{id}': { status: 200, creates: true, why: "creates B's own provider with that id (A's secrets are not kept: they are per workspace and provider row)" },
  'POST /lists/{listId}/subscriptions': { status: 204, creates: true, why: "subscribes B's user to B's own list of that id" },
  'PUT /lists/{listId}/subscriptions': { status: 204, creates: true, why: "replaces the subscribers of B's own list of that id" },
  'PUT /lists/{listId}/subscriptions/{userId}': { status: 204, creates: true, why: "subscribes B's user of that id to B's own list (created)" },
  'DELETE /lists/{listId}/subscriptions/{userId}': { status: 204, why: "unsubscribing is idempotent (Segment retries it): B's own list, A's subscription stays (the snapshot checks)" },
  'GET /users/{userId}/preferences': {
    status: 200,
    why: "B's preferences for that user id: B has no topics",
    check: (res) => expect(res.body.items).toEqual([]),
  },
};

/** Routes without path parameters that write: what B sends (aimed at A's ids) and what must hold. */
type Check = (res: Response) => Promise<void> | void;
const NO_PARAM_WRITES: Record<string, Array<{ body: () => unknown; headers?: Auth; status: number[]; why: string; check?: Check }>> = {
  'POST /inbound/rudderstack': [
    {
      body: () => ({ type: 'track', userId: a.userId, event: a.mappedEvent, messageId: a.logMessageId }),
      status: [202],
      why: "A's messageId in B is B's own new event (not A's duplicate), and A's mapping does not fire for it",
      check: (res) => expect(res.body).toEqual({ messageId: a.logMessageId }),
    },
  ],
  'POST /inbound/segment': [
    {
      body: () => ({ type: 'identify', userId: a.userId, traits: { intruder: 'b' } }),
      status: [202],
      why: "an identify for A's user id merges into B's profile of that id",
    },
  ],
  'POST /automations': [
    {
      body: () => ({ name: 'B template', alias: a.alias, steps: [] }),
      status: [201],
      why: 'aliases are unique per workspace: A using one does not stop (or reveal itself to) B',
    },
  ],
  'POST /automations/invoke': [
    {
      body: () => ({
        recipient: a.userId,
        automation: {
          steps: [
            { action: 'get-profile', user_id: a.userId, ref: 'p' },
            { action: 'cancel', cancelation_token: a.token },
          ],
        },
      }),
      headers: { 'Idempotency-Key': a.idempotencyKey },
      status: [202],
      why: "B's run reads B's profile of that id and cancels B's runs with that token, never A's",
      check: async (res) => {
        expect(res.body.runId).not.toBe(a.runId);
        const run = await runReaches(herald, B.auth, res.body.runId, ['PROCESSED', 'ERROR', 'CANCELED']);
        expect(run.status).toBe('PROCESSED');
        const steps = await herald.http.get(`/automations/runs/${res.body.runId}/steps`).set(B.auth);
        assertNoLeak(`steps of B's run ${res.body.runId}`, steps, [a.userId, a.token]);
        assertNoLeak(`B's run ${res.body.runId}`, await herald.http.get(`/automations/runs/${res.body.runId}`).set(B.auth), [a.userId, a.token]);
      },
    },
    {
      body: () => ({ recipient: 'b-user', automation: { steps: [{ action: 'invoke', template: a.templateId }] } }),
      status: [400, 404, 202],
      why: "invoking A's template from B: refused on save (not found in B), or the run fails; A's template never runs",
      check: async (res) => {
        console.log(`[isolation] B invoking A's template id: ${res.status} ${res.text.slice(0, 200)}`);
        if (res.status !== 202) return;
        const run = await runReaches(herald, B.auth, res.body.runId, ['PROCESSED', 'ERROR', 'CANCELED']);
        expect(run.status).toBe('ERROR');
      },
    },
  ],
  'POST /automations/cancel': [
    {
      body: () => ({ cancelation_token: a.token }),
      status: [202],
      why: "A's token in B cancels nothing of A's",
      check: (res) => expect(res.body).toEqual({ canceled: [] }),
    },
    { body: () => ({ run_id: a.runId }), status: [404], why: "A's run id is not found in B" },
  ],
  'POST /send': [
    {
      body: () => ({ message: { to: { user_id: a.userId }, template: a.notificationId } }),
      status: [202],
      why: "sends B's own notification of that id (created above) to B's user of that id",
      check: async (res) => {
        const message = await waitUntil(async () => {
          const m = await herald.http.get(`/messages/${res.body.requestId}`).set(B.auth);
          // Held by B's quiet hours (set by PUT /settings/delivery below, in force at some hours of the day) is settled too.
          return m.status === 200 && (m.body.status !== 'ENQUEUED' || /^QUIET_HOURS/.test(m.body.reason ?? '')) ? m : undefined;
        }, { what: "B's message to settle" });
        assertNoLeak("B's message", message, [a.userId, a.notificationId]);
      },
    },
  ],
  'POST /webhooks/signing-secret': [
    {
      body: () => undefined,
      status: [200, 201],
      why: "rotates B's own secret",
      check: (res) => expect(res.body.secret).not.toBe(a.signingSecret),
    },
  ],
  'PUT /integrations/rudderstack': [
    { body: () => ({ write_key: 'b-write-key', data_plane_url: 'https://dataplane.example.com', enabled: false }), status: [200], why: "sets B's own integration" },
  ],
  'DELETE /integrations/rudderstack': [{ body: () => undefined, status: [204], why: "deletes B's own integration (set just above)" }],
  'PUT /webhooks/allowed-hosts': [
    {
      body: () => ({ hosts: ['b-only.example.com'] }),
      status: [200],
      why: "restricts B's own webhooks",
      check: async () => expect((await herald.http.get('/webhooks/allowed-hosts').set(A.auth)).body).toEqual({ hosts: null }),
    },
  ],
  'PUT /settings/delivery': [
    {
      body: () => ({ default_timezone: 'Asia/Tokyo', quiet_hours: 'Mo-Su 08:00-20:00' }),
      status: [200],
      why: "B's own delivery settings (A's are in the snapshot)",
      // Lifted again, so B's sends and broadcast checked after it are not held (at some hours of the day they would be).
      check: async (res) => {
        expect(res.body.quiet_hours).toBe('Mo-Su 08:00-20:00');
        await herald.http.put('/settings/delivery').set(B.auth).send({ quiet_hours: null }).expect(200);
      },
    },
  ],
  'POST /debug': [{ body: () => undefined, status: [200], why: "checks B's own key", check: (res) => expect(res.body.workspace_id).toBe(B.id) }],
  'POST /broadcasts': [
    {
      body: () => ({ name: 'B broadcast', list_id: a.listId, template: a.notificationId, start: true }),
      status: [201],
      why: "B's broadcast to B's list of that id: A's subscribers are not messaged",
      check: async (res) => {
        expect(res.body.id).not.toBe(a.broadcastId);
        const done = await waitUntil(async () => {
          const b = (await herald.http.get(`/broadcasts/${res.body.id}`).set(B.auth)).body;
          return b.status === 'COMPLETED' ? b : undefined;
        }, { what: "B's broadcast to finish" });
        // Its recipients are B's subscribers of B's list of that id (B's own writes above may have made some), never A's.
        const mine = (await herald.http.get(`/lists/${a.listId}/subscriptions`).set(B.auth)).body.items ?? [];
        expect(done.progress.targeted).toBe(mine.length);
      },
    },
  ],
  'POST /inbound/replays': [
    {
      body: () => ({ event: a.loggedEvent }),
      status: [202],
      why: "B's replay of the event name A logged: only B's own log is read, and A's events start no run",
      check: async (res) => {
        expect(res.body.id).not.toBe(a.replayId);
        const done = await waitUntil(async () => {
          const r = (await herald.http.get(`/inbound/replays/${res.body.id}`).set(B.auth)).body;
          return r.status !== 'RUNNING' ? r : undefined;
        }, { what: "B's replay to end" });
        // It counted and replayed exactly B's own entries of that event (reading A's log would count A's too).
        const mine = (await herald.http.get('/inbound/events/log').query({ event: a.loggedEvent, limit: 500 }).set(B.auth)).body.items ?? [];
        expect(done.progress).toMatchObject({ total: mine.length, processed: mine.length });
      },
    },
  ],
  'POST /keys': [
    {
      body: () => ({ name: 'B second key' }),
      status: [201],
      why: "creates a key of B's own workspace",
      check: async (res) => {
        expect(res.body.id).not.toBe(a.keyId);
        const mine = await herald.http.get('/keys').set({ Authorization: `Bearer ${res.body.key}` });
        expect(mine.body.items.map((k: any) => k.id)).toContain(res.body.id);
      },
    },
  ],
};

/** Every string of A's that must never appear in an answer to B (the signing secret also masked). */
function secrets(): string[] {
  return [
    A.id,
    A.key,
    a.userId,
    a.tenantId,
    ...Object.values(a.profile),
    a.tenant.name,
    a.tenant.properties.tier,
    a.membership.role,
    a.notificationId,
    a.notification.name,
    a.notification.channels.inbox.title,
    a.notification.channels.inbox.body,
    a.templateName,
    a.alias,
    a.token,
    a.runData.secret,
    a.mappedEvent,
    a.loggedEvent,
    a.logMessageId,
    a.eventSecret,
    a.writeKey,
    a.dataPlaneUrl,
    a.templateId,
    a.draftTemplateId,
    a.runId,
    a.messageId,
    a.signingSecret,
    a.providerToken,
    a.providerId,
    a.keyId,
    a.keySecret,
    `${a.keySecret.slice(0, 7)}…`,
    `${a.signingSecret.slice(0, 6)}…`,
  ];
}

/** Fails when the response contains one of A's values that the request itself did not carry. */
function assertNoLeak(what: string, res: Response, requestValues: string[]) {
  const haystack = `${res.text ?? ''}\n${JSON.stringify(res.headers)}`;
  const leaked = secrets().filter((s) => s && !requestValues.some((r) => r.includes(s)) && haystack.includes(s));
  if (leaked.length) throw new Error(`${what} leaks A's ${JSON.stringify(leaked)}: ${res.status} ${haystack.slice(0, 500)}`);
}

function send(method: string, url: string, auth: Auth | undefined, body?: unknown, headers: Auth = {}) {
  let req = (herald.http as any)[method.toLowerCase()](url) as import('supertest').Test;
  if (auth) req = req.set(auth);
  req = req.set(headers);
  return body === undefined ? req : req.send(body as object);
}

function expand(route: Route): Call[] {
  let calls: Array<{ url: string }> = [{ url: route.path }];
  for (const name of route.params) {
    const values = paramValues(route, name);
    calls = calls.flatMap((c) => values.map((v) => ({ url: c.url.replace(`{${name}}`, encodeURIComponent(v)) })));
  }
  return calls.map((c) => ({ route, url: c.url, body: BODIES[`${route.method} ${route.path}`] }));
}

const requestText = (call: Call) => `${decodeURIComponent(call.url)} ${JSON.stringify(call.body ?? null)}`;
const isErrorBody = (body: unknown, type: string) =>
  typeof body === 'object' && body !== null && typeof (body as any).message === 'string' && (body as any).type === type;

/** Everything of A's, read with A's key: compared before and after B's attempts. */
async function snapshotA() {
  const reads = [
    `/profiles/${a.userId}`,
    `/tenants/${a.tenantId}`,
    `/tenants/${a.tenantId}/users`,
    `/users/${a.userId}/tenants`,
    `/users/${a.userId}/tenants/${a.tenantId}`,
    `/automations/${a.templateId}`,
    `/automations/${a.draftTemplateId}`,
    `/automations/${a.templateId}/versions`,
    '/automations',
    `/inbound/events/${encodeURIComponent(mappedEventId())}/automations`,
    `/notifications/${a.notificationId}`,
    '/notifications',
    `/messages/${a.messageId}`,
    `/messages/${a.messageId}/history`,
    '/messages',
    `/inbox/${a.userId}/messages`,
    `/inbound/events/log/${a.logId}`,
    '/inbound/events/log',
    '/inbound/events',
    `/automations/runs/${a.runId}`,
    `/automations/runs/${a.runId}/steps`,
    '/automations/runs',
    '/integrations/rudderstack',
    '/webhooks/signing-secret',
    `/lists/${a.listId}`,
    `/audiences/${a.audienceId}`,
    `/audiences/${a.audienceId}/members`,
    `/providers/${a.providerId}`,
    '/providers',
    `/lists/${a.listId}/subscriptions`,
    '/lists',
    `/broadcasts/${a.broadcastId}`,
    `/schedules/${a.scheduleId}`,
    '/schedules',
    '/broadcasts',
    '/settings/delivery',
    `/users/${a.userId}/preference-changes`,
    '/preferences/topics',
  ];
  const out: Record<string, { status: number; body: unknown }> = {};
  for (const path of reads) {
    const res = await herald.http.get(path).set(A.auth);
    out[path] = { status: res.status, body: res.body };
  }
  return out;
}

let before: Awaited<ReturnType<typeof snapshotA>>;

beforeAll(async () => {
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: "127.0.0.1/32" } });
  A = await herald.newWorkspace();
  B = await herald.newWorkspace();
  const ok = async (res: Promise<Response> | Response, status: number) => {
    const r = await res;
    if (r.status !== status) throw new Error(`setup ${(r as any).req?.method} ${(r as any).req?.path}: ${r.status} ${r.text}`);
    return r;
  };

  // A: profile, tenant with a membership, notification template.
  await ok(herald.http.put(`/profiles/${a.userId}`).set(A.auth).send({ profile: a.profile }), 200);
  await ok(herald.http.put(`/tenants/${a.tenantId}`).set(A.auth).send(a.tenant), 200);
  await ok(herald.http.put(`/users/${a.userId}/tenants/${a.tenantId}`).set(A.auth).send({ profile: a.membership }), 200);
  await ok(herald.http.put(`/notifications/${a.notificationId}`).set(A.auth).send(a.notification), 200);

  // A: a published template, a draft, a mapping, and a run waiting in a long delay.
  a.templateId = await publishedTemplate(herald, A.auth, {
    name: a.templateName,
    alias: a.alias,
    cancelation_token: a.token,
    steps: [{ action: 'delay', duration: '30 days' }, { action: 'send', template: a.notificationId }],
  });
  a.draftTemplateId = (await ok(herald.http.post('/automations').set(A.auth).send({ name: `${a.templateName} draft`, steps: [{ action: 'exit' }] }), 201)).body.id;
  await ok(herald.http.put(`/inbound/events/${encodeURIComponent(mappedEventId())}/automations/${a.templateId}`).set(A.auth), 200);
  a.runId = (
    await ok(
      herald.http.post(`/automations/${a.alias}/invoke`).set(A.auth).set('Idempotency-Key', a.idempotencyKey).send({ recipient: a.userId, data: a.runData }),
      202,
    )
  ).body.runId;
  await runReaches(herald, A.auth, a.runId, ['WAITING']);

  // A: a delivered inbox message (its inbox item has the message's id).
  a.messageId = (await ok(herald.http.post('/send').set(A.auth).send({ message: { to: { user_id: a.userId }, template: a.notificationId } }), 202)).body.requestId;
  await waitUntil(async () => (await herald.http.get(`/messages/${a.messageId}`).set(A.auth)).body.status === 'DELIVERED', { what: "A's message delivered" });

  // A: an event log entry, processed.
  await ok(
    herald.http.post('/inbound/rudderstack').set(A.auth).send({ type: 'track', userId: a.userId, event: a.loggedEvent, messageId: a.logMessageId, properties: { secret: a.eventSecret } }),
    202,
  );
  a.logId = await waitUntil(async () => {
    const log = await herald.http.get('/inbound/events/log').set(A.auth);
    const row = log.body.items?.find((r: any) => r.message_id === a.logMessageId);
    return row && row.status !== 'pending' ? String(row.id) : undefined;
  }, { what: "A's event processed" });

  // A: the RudderStack integration (disabled, pointing nowhere) and a webhook signing secret.
  await ok(herald.http.put('/integrations/rudderstack').set(A.auth).send({ write_key: a.writeKey, data_plane_url: a.dataPlaneUrl, enabled: false }), 200);
  await ok(herald.http.put(`/suppressions/${a.suppressedEmail}`).set(A.auth), 200);
  await ok(herald.http.put(`/subscription-topics/${a.topicId}`).set(A.auth).send({ name: 'A topic', default_status: 'OPTED_IN' }), 200);
  await ok(herald.http.put(`/users/${a.userId}/preferences/${a.topicId}`).set(A.auth).send({ topic: { status: 'OPTED_OUT' } }), 200);
  // A: a list with A's user, a draft broadcast to it, and delivery settings.
  await ok(herald.http.put(`/lists/${a.listId}/subscriptions/${a.userId}`).set(A.auth), 204);
  a.replayId = (await ok(herald.http.post('/inbound/replays').set(A.auth).send({ event: a.loggedEvent }), 202)).body.id;
  // A: an SMS provider with a secret (pointing nowhere reachable).
  await ok(herald.http.put(`/providers/${a.providerId}`).set(A.auth).send({ channel: 'sms', provider: 'twilio', config: { account_sid: `AC${'a'.repeat(32)}`, auth_token: a.providerToken, from: '+15005550006', api_base_url: 'http://127.0.0.1:9' } }), 200);
  a.broadcastId = (await ok(herald.http.post('/broadcasts').set(A.auth).send({ name: `A broadcast ${sfx}`, list_id: a.listId, template: a.notificationId }), 201)).body.id;
  await ok(herald.http.put('/settings/delivery').set(A.auth).send({ default_timezone: 'Europe/Oslo' }), 200);
  // A: a yearly schedule sending A's notification to A's user (its next runs stay put during the test).
  await ok(herald.http.put(`/schedules/${a.scheduleId}`).set(A.auth).send({ cron: '0 9 1 1 *', target: { template: a.notificationId, to: { user_id: a.userId } }, data: a.runData }), 200);
  // A: an audience A's user is in (the profile has the plan it asks for), recomputed.
  await ok(herald.http.put(`/audiences/${a.audienceId}`).set(A.auth).send({ name: 'A audience', filter: ['profile.plan', 'exists'] }), 200);
  await waitUntil(async () => ((await herald.http.get(`/audiences/${a.audienceId}`).set(A.auth)).body.status === 'READY' ? true : undefined), { what: "A's audience computed" });
  const rotated = await herald.http.post('/webhooks/signing-secret').set(A.auth);
  if (rotated.status >= 300) throw new Error(`signing secret: ${rotated.status} ${rotated.text}`);
  a.signingSecret = rotated.body.secret;
  expect(a.signingSecret.length).toBeGreaterThan(10);
  // A: a second API key (both active).
  const created = (await ok(herald.http.post('/keys').set(A.auth).send({ name: `A key ${sfx}` }), 201)).body;
  a.keyId = created.id;
  a.keySecret = created.key;

  const doc = await herald.http.get('/docs/openapi.json');
  expect(doc.status).toBe(200);
  routes = [];
  for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = ((op.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared.sort()).toEqual([...params].sort());
      routes.push({ method: method.toUpperCase(), path, params });
    }
  }
  before = await snapshotA();
  // Sanity: the snapshot is of real data, so "unchanged" means something.
  for (const [path, { status }] of Object.entries(before)) if (status !== 200) throw new Error(`snapshot ${path}: ${status}`);
}, 120_000);

afterAll(() => herald?.stop());

it('enumerates the live OpenAPI document (a route added later is covered automatically)', () => {
  const keys = routes.map((r) => `${r.method} ${r.path}`);
  // A floor, not the list: these must be there; anything else found is covered too.
  for (const k of ['GET /profiles/{userId}', 'GET /automations/runs/{runId}', 'POST /inbox/messages/{id}/read', 'GET /inbound/events/log/{id}', 'PUT /integrations/rudderstack', 'DELETE /keys/{id}', 'GET /dashboard']) {
    expect(keys).toContain(k);
  }
  expect(routes.filter((r) => r.params.length > 0).length).toBeGreaterThanOrEqual(35);
  console.log(`[isolation] ${routes.length} routes in the OpenAPI document, ${routes.filter((r) => r.params.length).length} with path parameters`);
});

it("the leak detector finds A's values in A's own answers (so its silence below means something)", async () => {
  for (const path of [`/profiles/${a.userId}`, `/tenants/${a.tenantId}`, `/messages/${a.messageId}`, `/inbound/events/log/${a.logId}`, '/integrations/rudderstack']) {
    const res = await herald.http.get(path).set(A.auth);
    expect(() => assertNoLeak(path, res, [path])).toThrow(/leaks A's/);
  }
});

it('every route without a key, or with a wrong key, answers 401 (except the public ones)', async () => {
  const failures: string[] = [];
  let calls = 0;
  for (const route of routes) {
    if (isPublic(route.path)) continue;
    for (const call of expand(route)) {
      for (const auth of [undefined, { Authorization: `Bearer hk_${'0'.repeat(43)}` }, { Authorization: `Basic ${Buffer.from(`:${A.key}x`).toString('base64')}` }]) {
        calls++;
        const res = await send(route.method, call.url, auth, call.body);
        if (res.status !== 401 || !isErrorBody(res.body, 'authentication_error')) failures.push(`${route.method} ${call.url} ${auth ? 'wrong key' : 'no key'} → ${res.status} ${res.text.slice(0, 200)}`);
        else {
          try {
            assertNoLeak(`${route.method} ${call.url}`, res, [requestText(call)]);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }
    }
  }
  console.log(`[isolation] ${calls} unauthenticated calls`);
  expect(failures).toEqual([]);
  // The public ones answer without a key.
  for (const path of ['/health', '/ready', '/docs/openapi.json']) expect((await herald.http.get(path)).status).toBe(200);
});

it("B's key lists none of A's data on the routes without path parameters", async () => {
  const failures: string[] = [];
  for (const route of routes.filter((r) => r.method === 'GET' && r.params.length === 0 && !isPublic(r.path))) {
    const res = await send('GET', route.path, B.auth);
    // B has no RudderStack integration yet: 404 is its own "none".
    const expected = route.path === '/integrations/rudderstack' ? 404 : 200;
    if (res.status !== expected) failures.push(`GET ${route.path} → ${res.status} ${res.text.slice(0, 200)} (expected ${expected})`);
    // B's own key is listed under /keys (the leak check below makes sure A's are not).
    if (res.status === 200 && Array.isArray(res.body.items) && !['/automations/sequences', '/keys'].includes(route.path) && res.body.items.length !== 0) {
      failures.push(`GET ${route.path} with B's key lists ${res.body.items.length} items; B has none`);
    }
    try {
      assertNoLeak(`GET ${route.path}`, res, []);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  expect(failures).toEqual([]);
});

it("B's key with A's ids answers 404 on every route with a path parameter, and leaks nothing", async () => {
  const failures: string[] = [];
  const withParams = routes.filter((r) => r.params.length > 0 && !isPublic(r.path));
  const ordered = [
    ...withParams.filter((r) => !EXCEPTIONS[`${r.method} ${r.path}`]?.creates),
    ...withParams.filter((r) => EXCEPTIONS[`${r.method} ${r.path}`]?.creates),
  ];
  let calls = 0;
  for (const route of ordered) {
    const key = `${route.method} ${route.path}`;
    const exception = EXCEPTIONS[key];
    for (const call of expand(route)) {
      calls++;
      const res = await send(route.method, call.url, B.auth, call.body);
      const where = `${route.method} ${call.url}${call.body ? ` ${JSON.stringify(call.body)}` : ''}`;
      if (exception) {
        if (res.status !== exception.status) failures.push(`${where} → ${res.status} ${res.text.slice(0, 300)} (expected ${exception.status}: ${exception.why})`);
        else {
          try {
            exception.check?.(res);
          } catch (err) {
            failures.push(`${where}: ${(err as Error).message}`);
          }
        }
      } else if (res.status !== 404 || !isErrorBody(res.body, 'not_found_error')) {
        failures.push(`${where} → ${res.status} ${res.text.slice(0, 300)} (expected 404 { message, type: not_found_error })`);
      }
      try {
        assertNoLeak(where, res, [requestText(call)]);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  }
  console.log(`[isolation] ${calls} calls with B's key and A's ids`);
  expect(failures).toEqual([]);
});

it("B's writes without path parameters, aimed at A's ids, touch only B", async () => {
  const failures: string[] = [];
  for (const route of routes.filter((r) => r.method !== 'GET' && r.params.length === 0 && !isPublic(r.path))) {
    const key = `${route.method} ${route.path}`;
    const cases = NO_PARAM_WRITES[key];
    if (!cases) {
      failures.push(`${key}: no isolation case written for this write route; add one to NO_PARAM_WRITES`);
      continue;
    }
    for (const c of cases) {
      const body = c.body();
      const res = await send(route.method, route.path, B.auth, body, c.headers);
      const where = `${key} ${JSON.stringify(body ?? null)}`;
      if (!c.status.includes(res.status)) {
        failures.push(`${where} → ${res.status} ${res.text.slice(0, 300)} (expected ${c.status.join('/')}: ${c.why})`);
        continue;
      }
      try {
        assertNoLeak(where, res, [JSON.stringify(body ?? null)]);
        await c.check?.(res);
      } catch (err) {
        failures.push(`${where}: ${(err as Error).message}`);
      }
    }
  }
  expect(failures).toEqual([]);
});

it("A's data is unchanged and A's waiting run is still WAITING", async () => {
  // Let anything B started (ingest of A's messageId and mapped event name, runs, sends) finish first.
  await waitUntil(async () => (await herald.http.get('/inbound/events/log').set(B.auth).query({ status: 'pending' })).body.items?.length === 0, {
    what: "B's events processed",
  });
  await waitUntil(async () => {
    const runs = (await herald.http.get('/automations/runs').set(B.auth)).body.items as Array<{ status: string }>;
    return runs.every((r) => !['PROCESSING'].includes(r.status));
  }, { what: "B's runs settled" });

  const after = await snapshotA();
  expect(after).toEqual(before);
  const run = await herald.http.get(`/automations/runs/${a.runId}`).set(A.auth);
  expect(run.body.status).toBe('WAITING');
  const runs = (await herald.http.get('/automations/runs').set(A.auth)).body.items;
  expect(runs.map((r: any) => r.run_id)).toEqual([a.runId]);
  expect((await herald.http.get(`/profiles/${a.userId}`).set(A.auth)).body.profile).toEqual(a.profile);
  // A's keys (not in the snapshot: last_used_at moves) are both still active, without an expiry, and both work.
  const keys = (await herald.http.get('/keys').set(A.auth)).body.items as Array<{ id: string; status: string; expires_at: string | null }>;
  expect(keys.map((k) => [k.status, k.expires_at]).sort()).toEqual([['active', null], ['active', null]]);
  expect(keys.map((k) => k.id)).toContain(a.keyId);
  expect((await herald.http.get('/keys').set({ Authorization: `Bearer ${a.keySecret}` })).status).toBe(200);
  // The workflow itself is still running in Temporal (not only its row).
  const description = await herald.temporal.client.workflow.getHandle(`run:${A.id}:${a.runId}`).describe();
  expect(description.status.name).toBe('RUNNING');
});

import { createHash, createPublicKey, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Local stand-ins for the providers' APIs, shaped as their documentation describes: each checks
 * a request the way the real API does (auth, path, content type, required fields) and answers
 * with the real success and error bodies. Every sink records what reached it and can be
 * programmed per test:
 *   failNext(n, status, body?, headers?)  the next n valid requests get this answer;
 *   hold()                                valid requests wait unanswered until the returned
 *                                         function is called (a worker killed mid-send);
 *   refuse(recipient)                     the provider's refusal for that number/token/address;
 *   held()                                how many requests are waiting on a hold.
 * Invalid requests (bad auth, bad shape) are answered at once, before failures and holds, as
 * the real APIs validate before doing anything.
 *
 * Twilio's sink lives in sms-provider-sinks.ts (used by the delivery e2e tests) and is re-exported.
 */
export { startTwilioSink } from './sms-provider-sinks';

export interface SinkRequest {
  /** Arrival time (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as received. */
  raw: string;
  /** The body parsed: JSON, or the form fields for form-encoded bodies; null if it does not parse. */
  body: any;
  /** The status this sink answered (undefined while held). */
  status?: number;
}

/** A string body goes out as text/plain, anything else as JSON; undefined sends no body. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a route decides: an Answer (refused at validation: sent at once), or a function for a valid request. */
type Verdict = Answer | (() => Answer);

export interface ProviderSink {
  /** The base URL (or, for webhooks, the webhook URL) to put in the provider's config. */
  url: string;
  requests: SinkRequest[];
  failNext(n: number, status: number, body?: unknown, headers?: Record<string, string>): void;
  hold(): () => void;
  held(): number;
  close(): Promise<void>;
}

export interface RecipientSink extends ProviderSink {
  refuse(recipient: string): void;
}

// ---------------------------------------------------------------------------------------------
// The shared machinery: a server (HTTP/1.1, or HTTP/2 cleartext for APNs) whose routes return a Verdict.

type Route = (r: SinkRequest) => Verdict;

function programme() {
  const failures: Answer[] = [];
  let waiting: Array<() => void> | null = null;
  let heldCount = 0;
  return {
    failNext(n: number, status: number, body: unknown = { message: `HTTP ${status}` }, headers?: Record<string, string>) {
      for (let i = 0; i < n; i++) failures.push({ status, body, headers });
    },
    hold(): () => void {
      waiting = [];
      return () => {
        const go = waiting ?? [];
        waiting = null;
        for (const f of go) f();
      };
    },
    held: () => heldCount,
    /** The answer to a valid request: the next programmed failure, else the route's, after any hold. */
    async answer(valid: () => Answer): Promise<Answer> {
      const failure = failures.shift();
      if (waiting) {
        heldCount++;
        await new Promise<void>((r) => waiting!.push(r));
        heldCount--;
      }
      return failure ?? valid();
    },
  };
}

type Incoming = http.IncomingMessage | http2.Http2ServerRequest;
type Outgoing = http.ServerResponse | http2.Http2ServerResponse;

async function serve(route: Route, options: { h2c?: boolean } = {}) {
  const p = programme();
  const requests: SinkRequest[] = [];
  const handler = async (req: Incoming, res: Outgoing) => {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const raw = Buffer.concat(chunks).toString('utf8');
    const r: SinkRequest = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers as http.IncomingHttpHeaders, raw, body: parseBody(raw, req.headers['content-type']) };
    requests.push(r);
    const verdict = route(r);
    const answer = typeof verdict === 'function' ? await p.answer(verdict) : verdict;
    r.status = answer.status;
    reply(res, answer);
  };
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let server: http.Server | http2.Http2Server;
  if (options.h2c) {
    const s = http2.createServer((req, res) => void handler(req, res));
    s.on('session', (session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    server = s;
  } else {
    const s = http.createServer((req, res) => void handler(req, res));
    s.requestTimeout = 0;
    server = s;
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    failNext: p.failNext,
    hold: p.hold,
    held: p.held,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function parseBody(raw: string, contentType: string | string[] | undefined): any {
  if (String(contentType ?? '').startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function reply(res: Outgoing, a: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof a.body === 'string';
  const headers: Record<string, string> = { ...(a.body === undefined ? {} : { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' }), ...(a.headers ?? {}) };
  // http2 refuses connection-specific headers; lower-case names suit both.
  res.writeHead(a.status, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])));
  if (a.body === undefined) res.end();
  else res.end(text ? (a.body as string) : JSON.stringify(a.body));
}

const isJson = (r: SinkRequest) => String(r.headers['content-type'] ?? '').startsWith('application/json');
const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Verifies a compact JWS (RS256 or ES256) with a public key: its header and claims, or null if the signature does not check. */
export function verifyJwt(jwt: string, publicKey: KeyObject | string, alg: 'RS256' | 'ES256'): { header: Record<string, any>; claims: Record<string, any> } | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    if (header.alg !== alg) return null;
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    const ok = alg === 'ES256' ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature) : verify('sha256', data, key, signature);
    return ok ? { header, claims: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) } : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// SMS

/**
 * A generic HTTP SMS provider (Herald's `http-sms`): POST JSON `{ message_id, to, text,
 * status_callback_url }`, Bearer key, Idempotency-Key. 200 `{ id }`; a repeated key gets the
 * first answer and is not sent again (`deliveries` is what reached phones); a refused number is
 * 422 `{ error: 'invalid_recipient' }`. `url` is the endpoint.
 */
export async function startHttpSmsSink(opts: { apiKey?: string } = {}): Promise<RecipientSink & { deliveries: SinkRequest[] }> {
  const refused = new Set<string>();
  const seen = new Map<string, string>();
  const deliveries: SinkRequest[] = [];
  const s = await serve((r) => {
    if (r.method !== 'POST' || r.path !== '/v1/messages') return { status: 404, body: { error: 'not_found' } };
    if (opts.apiKey && r.headers.authorization !== `Bearer ${opts.apiKey}`) return { status: 401, body: { error: 'unauthorized', message: 'invalid API key' } };
    if (!isJson(r) || !isObject(r.body)) return { status: 400, body: { error: 'invalid_json' } };
    const b = r.body;
    if (typeof b.message_id !== 'string' || typeof b.to !== 'string' || typeof b.text !== 'string' || !b.text) return { status: 422, body: { error: 'invalid_request', message: 'message_id, to and text are required' } };
    if (!('status_callback_url' in b) || (b.status_callback_url !== null && typeof b.status_callback_url !== 'string')) return { status: 422, body: { error: 'invalid_request', message: 'status_callback_url is a URL or null' } };
    const key = r.headers['idempotency-key'];
    if (typeof key !== 'string' || !key) return { status: 400, body: { error: 'idempotency_key_required' } };
    return () => {
      if (!/^\+[1-9]\d{6,14}$/.test(b.to) || refused.has(b.to)) return { status: 422, body: { error: 'invalid_recipient', message: 'the number cannot receive SMS' } };
      const known = seen.get(key);
      if (known) return { status: 200, body: { id: known, duplicate: true } };
      const id = `msg_${randomBytes(8).toString('hex')}`;
      seen.set(key, id);
      deliveries.push(r);
      return { status: 200, body: { id, status: 'queued' } };
    };
  });
  return { ...s, url: `${s.base}/v1/messages`, deliveries, refuse: (n) => void refused.add(n) };
}

// ---------------------------------------------------------------------------------------------
// Push: Google OAuth + FCM HTTP v1, APNs (HTTP/2), Expo

const googleError = (code: number, status: string, message: string, details: unknown[] = []): Answer => ({ status: code, body: { error: { code, message, status, ...(details.length ? { details } : {}) } } });
const fcmDetail = (errorCode: string) => ({ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode });

/** FCM's error bodies, for failNext: fcmError(503, 'UNAVAILABLE'), fcmError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'). */
export function fcmError(code: number, status: string, errorCode?: string): unknown {
  return googleError(code, status, `${status.toLowerCase().replace(/_/g, ' ')}`, errorCode ? [fcmDetail(errorCode)] : []).body;
}

/**
 * Google's OAuth 2 token endpoint for service accounts (POST /token, form
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>`): the JWT is
 * checked with the service account's public key (iss, aud = this endpoint, scope, iat/exp at
 * most an hour apart). 200 `{ access_token, expires_in: 3599, token_type: 'Bearer' }`; refusals
 * 400 `{ error: 'invalid_grant', error_description }`.
 */
export async function startGoogleOAuthSink(opts: { clientEmail: string; publicKey: KeyObject | string }) {
  const issued = new Set<string>();
  let tokenUri = '';
  const invalid = (description: string): Answer => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
  const s = await serve((r) => {
    if (r.method !== 'POST' || r.path !== '/token') return { status: 404, body: 'Not Found' };
    if (!String(r.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { error: 'invalid_request', error_description: 'Bad Request' } };
    if (r.body?.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
    const jwt = verifyJwt(String(r.body.assertion ?? ''), opts.publicKey, 'RS256');
    if (!jwt) return invalid('Invalid JWT Signature.');
    const { iss, aud, scope, iat, exp } = jwt.claims;
    const now = Math.floor(Date.now() / 1000);
    if (iss !== opts.clientEmail) return invalid('Invalid grant: account not found');
    if (aud !== tokenUri) return invalid('Invalid JWT: audience mismatch');
    if (typeof scope !== 'string' || !scope.split(' ').includes('https://www.googleapis.com/auth/firebase.messaging')) return { status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope' } };
    if (typeof iat !== 'number' || typeof exp !== 'number' || iat > now + 60 || exp <= now || exp - iat > 3600) return invalid('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    return () => {
      const token = `ya29.${randomBytes(24).toString('base64url')}`;
      issued.add(token);
      return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
    };
  });
  tokenUri = `${s.base}/token`;
  return {
    ...s,
    url: s.base,
    tokenUri,
    isValid: (token: string) => issued.has(token),
    /** Every access token issued so far stops working (a revoked key, an expired token). */
    revokeAll: () => issued.clear(),
  };
}

/**
 * FCM HTTP v1 (POST /v1/projects/{project}/messages:send, Bearer access token from the OAuth
 * sink): one message with exactly one target, data values strings only. 200 `{ name }`; tokens
 * refused or named 'unregistered-*' get 404 NOT_FOUND / UNREGISTERED, tokens named 'invalid-*'
 * 400 INVALID_ARGUMENT on message.token.
 */
export async function startFcmSink(opts: { projectId: string; oauth: { isValid(token: string): boolean } }): Promise<RecipientSink> {
  const refused = new Set<string>();
  const s = await serve((r) => {
    const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(r.path);
    if (r.method !== 'POST' || !m) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    const auth = String(r.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || !opts.oauth.isValid(auth.slice(7)))
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', [fcmDetail('THIRD_PARTY_AUTH_ERROR')]);
    if (decodeURIComponent(m[1]) !== opts.projectId) return googleError(403, 'PERMISSION_DENIED', "Permission 'cloudmessaging.messages.create' denied on resource", [fcmDetail('SENDER_ID_MISMATCH')]);
    if (!isJson(r) || !isObject(r.body) || !isObject(r.body.message)) return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    const msg = r.body.message;
    const targets = ['token', 'topic', 'condition'].filter((k) => msg[k] !== undefined);
    if (targets.length !== 1) return googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument: exactly one of token, topic, condition', [fcmDetail('INVALID_ARGUMENT')]);
    if (msg.data !== undefined && (!isObject(msg.data) || Object.values(msg.data).some((v) => typeof v !== 'string')))
      return googleError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.data[0].value' (TYPE_STRING)", [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data[0].value' }] }]);
    if (msg.notification !== undefined && !isObject(msg.notification)) return googleError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.notification'");
    return () => {
      const token = String(msg.token ?? '');
      if (refused.has(token) || token.startsWith('unregistered-')) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.', [fcmDetail('UNREGISTERED')]);
      if (token.startsWith('invalid-'))
        return googleError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', [
          fcmDetail('INVALID_ARGUMENT'),
          { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.token', description: 'Invalid registration token' }] },
        ]);
      return { status: 200, body: { name: `projects/${opts.projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}` } };
    };
  });
  return { ...s, url: s.base, refuse: (t) => void refused.add(t) };
}

/**
 * APNs provider API over HTTP/2 cleartext (h2c, prior knowledge): POST /3/device/{64 hex},
 * `authorization: bearer <ES256 JWT>` checked against the .p8 key's public key (kid, iss = team,
 * iat within the hour), apns-topic = the bundle id, apns-push-type, optional apns-id (a UUID),
 * a JSON body with `aps`. 200 with the apns-id header; refusals `{ reason }` with 400/403/410.
 */
export async function startApnsSink(opts: { teamId: string; keyId: string; publicKey: KeyObject | string; bundleId: string }): Promise<RecipientSink> {
  const refused = new Set<string>();
  const refusal = (status: number, reason: string): Answer => ({ status, body: status === 410 ? { reason, timestamp: Date.now() } : { reason } });
  const s = await serve(
    (r) => {
      const m = /^\/3\/device\/([^/]+)$/.exec(r.path);
      if (r.method !== 'POST') return refusal(405, 'MethodNotAllowed');
      if (!m) return refusal(404, 'BadPath');
      const auth = String(r.headers.authorization ?? '');
      if (!auth.startsWith('bearer ')) return refusal(403, 'MissingProviderToken');
      const jwt = verifyJwt(auth.slice(7), opts.publicKey, 'ES256');
      if (!jwt || jwt.header.kid !== opts.keyId || jwt.claims.iss !== opts.teamId) return refusal(403, 'InvalidProviderToken');
      if (typeof jwt.claims.iat !== 'number' || jwt.claims.iat < Date.now() / 1000 - 3600) return refusal(403, 'ExpiredProviderToken');
      if (!r.headers['apns-topic']) return refusal(400, 'MissingTopic');
      if (r.headers['apns-topic'] !== opts.bundleId) return refusal(400, 'TopicDisallowed');
      if (!['alert', 'background', 'voip', 'complication', 'fileprovider', 'mdm', 'liveactivity', 'location', 'pushtotalk'].includes(String(r.headers['apns-push-type'] ?? ''))) return refusal(400, 'InvalidPushType');
      const apnsId = r.headers['apns-id'];
      if (apnsId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(apnsId))) return refusal(400, 'BadMessageId');
      if (!r.raw) return refusal(400, 'PayloadEmpty');
      if (!isObject(r.body) || !isObject(r.body.aps)) return refusal(400, 'BadPayload');
      const token = decodeURIComponent(m[1]);
      if (!/^[0-9a-f]{64}$/i.test(token)) return refusal(400, 'BadDeviceToken');
      return () => (refused.has(token) ? refusal(410, 'Unregistered') : { status: 200, headers: { 'apns-id': String(apnsId ?? randomUUID()) } });
    },
    { h2c: true },
  );
  return { ...s, url: s.base, refuse: (t) => void refused.add(t) };
}

/**
 * Expo's push API (POST /--/api/v2/push/send, a JSON array of messages, Bearer access token when
 * the project requires one): 200 `{ data: [ticket…] }` in order, a ticket `{ status: 'ok', id }`
 * or `{ status: 'error', message, details: { error: 'DeviceNotRegistered' } }`; request errors
 * `{ errors: [{ code, message }] }`.
 */
export async function startExpoSink(opts: { accessToken?: string } = {}): Promise<RecipientSink & ExpoReceipts> {
  const refused = new Set<string>();
  const tickets = new Map<string, string>();
  const receiptErrors = new Map<string, string>();
  const pendingReceipts = new Set<string>();
  const s = await serve((r) => {
    if (r.method === 'POST' && r.path === '/--/api/v2/push/getReceipts') {
      if (opts.accessToken && r.headers.authorization !== `Bearer ${opts.accessToken}`) return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'The bearer token is invalid' }] } };
      const ids = isJson(r) && isObject(r.body) && Array.isArray(r.body.ids) ? (r.body.ids as unknown[]) : null;
      if (!ids || ids.length > 1000 || ids.some((id) => typeof id !== 'string')) return { status: 400, body: { errors: [{ code: 'VALIDATION_ERROR', message: '"ids" must be an array of at most 1000 strings' }] } };
      const data: Record<string, unknown> = {};
      for (const id of ids as string[]) {
        const token = tickets.get(id);
        if (token === undefined || pendingReceipts.has(token)) continue; // unknown, or not ready yet: absent
        const error = receiptErrors.get(token);
        data[id] = error
          ? { status: 'error', message: `The recipient "${token}" could not be reached (${error})`, details: { error } }
          : { status: 'ok' };
      }
      return () => ({ status: 200, body: { data } });
    }
    if (r.method !== 'POST' || r.path !== '/--/api/v2/push/send') return { status: 404, body: { errors: [{ code: 'NOT_FOUND', message: 'Not found' }] } };
    if (opts.accessToken && r.headers.authorization !== `Bearer ${opts.accessToken}`)
      return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'The bearer token is invalid; check the access token you provided with the request.' }] } };
    if (!isJson(r) || r.body === null) return { status: 400, body: { errors: [{ code: 'VALIDATION_ERROR', message: 'body must be JSON' }] } };
    const messages: any[] = Array.isArray(r.body) ? r.body : [r.body];
    if (messages.length > 100) return { status: 400, body: { errors: [{ code: 'PUSH_TOO_MANY_NOTIFICATIONS', message: 'You are trying to send more than 100 push notifications in one request.' }] } };
    if (messages.some((m) => !isObject(m) || typeof m.to !== 'string' || (m.data !== undefined && !isObject(m.data))))
      return { status: 400, body: { errors: [{ code: 'VALIDATION_ERROR', message: '"to" must be a string and "data" an object' }] } };
    return () => ({
      status: 200,
      body: {
        data: messages.map((m) =>
          refused.has(m.to) || !/^Expo(nent)?PushToken\[[^\]]+\]$/.test(m.to)
            ? { status: 'error', message: `"${m.to}" is not a registered push notification recipient`, details: { error: 'DeviceNotRegistered', expoPushToken: m.to } }
            : { status: 'ok', id: ticket(m.to) },
        ),
      },
    });
  });
  const ticket = (token: string) => {
    const id = randomUUID();
    tickets.set(id, token);
    return id;
  };
  return Object.assign(s, {
    url: s.base,
    refuse: (t: string) => void refused.add(t),
    receiptError: (token: string, error: string) => void receiptErrors.set(token, error),
    pendingReceipts,
    receiptRequests: () => s.requests.filter((q) => q.path === '/--/api/v2/push/getReceipts'),
  });
}

/**
 * Expo's receipts (POST /--/api/v2/push/getReceipts `{ ids }`): `{ data: { <id>: { status: 'ok' } |
 * { status: 'error', message, details: { error } } } }`, ids without a receipt yet left out.
 */
interface ExpoReceipts {
  /** The receipts of this token's tickets report this error (DeviceNotRegistered, MessageTooBig…). */
  receiptError(token: string, error: string): void;
  /** Tokens whose receipts are not ready yet (absent from the answer). */
  pendingReceipts: Set<string>;
  receiptRequests(): SinkRequest[];
}

// ---------------------------------------------------------------------------------------------
// Chat: Slack Web API, Slack incoming webhook, Teams webhook

/**
 * Slack's chat.postMessage (POST {base}/chat.postMessage, Bearer bot token, JSON). Slack answers
 * its refusals with HTTP 200 `{ ok: false, error }` (not_authed, invalid_auth, channel_not_found,
 * no_text…) and a rate limit with HTTP 429 + Retry-After. `url` is the API base (…/api).
 * refuse(channel, error?) answers that channel with `error` (default channel_not_found).
 */
export async function startSlackSink(opts: { botToken: string }): Promise<ProviderSink & { refuse(channel: string, error?: string): void }> {
  const refused = new Map<string, string>();
  const fail = (error: string): Answer => ({ status: 200, body: { ok: false, error } });
  const s = await serve((r) => {
    if (r.path !== '/api/chat.postMessage') return { status: 404, body: { ok: false, error: 'unknown_method' } };
    const auth = r.headers.authorization;
    if (!auth) return fail('not_authed');
    if (auth !== `Bearer ${opts.botToken}`) return fail('invalid_auth');
    if (!isJson(r)) return fail('invalid_arguments');
    if (!isObject(r.body)) return fail('invalid_json');
    const { channel, text, blocks } = r.body;
    if (typeof channel !== 'string' || !channel) return fail('channel_not_found');
    if ((typeof text !== 'string' || !text) && !Array.isArray(blocks)) return fail('no_text');
    if (blocks !== undefined && (!Array.isArray(blocks) || blocks.some((b) => !isObject(b) || typeof b.type !== 'string'))) return fail('invalid_blocks');
    return () => {
      const refusal = refused.get(channel);
      if (refusal) return fail(refusal);
      const id = /^[CDG][A-Z0-9]{8,}$/.test(channel) ? channel : `C${createHash('sha1').update(channel).digest('hex').slice(0, 10).toUpperCase()}`;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      return { status: 200, body: { ok: true, channel: id, ts, message: { type: 'message', text, ts, bot_id: 'B0HERALD', ...(blocks ? { blocks } : {}) } } };
    };
  });
  return { ...s, url: `${s.base}/api`, refuse: (channel, error = 'channel_not_found') => void refused.set(channel, error) };
}

/**
 * A Slack incoming webhook (POST JSON `{ text, blocks }` to /services/T…/B…/secret): 200 `ok`;
 * plain-text refusals: 400 invalid_payload / no_text, 404 no_service (an unknown or removed
 * webhook), 410 channel_is_archived (after archive()). `url` is the webhook URL.
 */
export async function startSlackWebhookSink(): Promise<ProviderSink & { archive(): void }> {
  const path = `/services/T0HERALD1/B0HERALD1/${randomBytes(12).toString('hex')}`;
  let archived = false;
  const s = await serve((r) => {
    if (r.method !== 'POST' || r.path !== path) return { status: 404, body: 'no_service' };
    if (!isObject(r.body)) return { status: 400, body: 'invalid_payload' };
    if ((typeof r.body.text !== 'string' || !r.body.text) && !Array.isArray(r.body.blocks)) return { status: 400, body: 'no_text' };
    return () => (archived ? { status: 410, body: 'channel_is_archived' } : { status: 200, body: 'ok' });
  });
  return { ...s, url: `${s.base}${path}`, archive: () => void (archived = true) };
}

/**
 * A Microsoft Teams incoming webhook: POST a `message` whose attachments hold an Adaptive Card;
 * 200 `1`; 400 for a payload it cannot read; 404 for an unknown (removed) webhook. `url` is the
 * webhook URL. Office 365 connectors answer throttling with HTTP 200 and a "returned HTTP error
 * 429" text: program it with failNext(1, 200, TEAMS_THROTTLED).
 */
export const TEAMS_THROTTLED = 'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0.';
export async function startTeamsWebhookSink(): Promise<ProviderSink> {
  const path = `/webhookb2/${randomUUID()}@${randomUUID()}/IncomingWebhook/${randomBytes(16).toString('hex')}/${randomUUID()}`;
  const s = await serve((r) => {
    if (r.method !== 'POST' || r.path !== path) return { status: 404, body: 'Webhook not found' };
    const b = r.body;
    const card = isObject(b) && Array.isArray(b.attachments) ? b.attachments[0] : undefined;
    const ok =
      isObject(b) &&
      b.type === 'message' &&
      isObject(card) &&
      card.contentType === 'application/vnd.microsoft.card.adaptive' &&
      isObject(card.content) &&
      card.content.type === 'AdaptiveCard' &&
      typeof card.content.version === 'string' &&
      Array.isArray(card.content.body);
    if (!ok) return { status: 400, body: 'Bad payload received by generic incoming webhook.' };
    return () => ({ status: 200, body: '1' });
  });
  return { ...s, url: `${s.base}${path}` };
}

// ---------------------------------------------------------------------------------------------
// Email: SendGrid

const RESERVED_SENDGRID_HEADERS = new Set(['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from', 'subject', 'reply-to', 'cc', 'bcc']);

/**
 * SendGrid v3 Mail Send (POST /v3/mail/send, Bearer API key): validates personalizations, from,
 * subject, content (text/plain first), headers (string values, none reserved) and custom_args
 * (strings) as the API does; 202 with no body and X-Message-Id; refusals
 * `{ errors: [{ message, field, help }] }`. A refused address gets 400 on personalizations.0.to.0.email.
 */
export async function startSendGridSink(opts: { apiKey: string }): Promise<RecipientSink> {
  const refused = new Set<string>();
  const error = (status: number, message: string, field: string | null = null): Answer => ({ status, body: { errors: [{ message, field, help: null }] } });
  const s = await serve((r) => {
    if (r.method !== 'POST' || r.path !== '/v3/mail/send') return error(404, 'resource not found');
    const auth = r.headers.authorization;
    if (!auth) return error(401, 'Permission denied, wrong credentials');
    if (auth !== `Bearer ${opts.apiKey}`) return error(401, 'The provided authorization grant is invalid, expired, or revoked');
    if (!isJson(r) || !isObject(r.body)) return error(400, 'Bad Request', null);
    const b = r.body;
    if (!Array.isArray(b.personalizations) || !b.personalizations.length) return error(400, 'The personalizations field is required and must have at least one personalization.', 'personalizations');
    for (const [i, p] of b.personalizations.entries()) {
      if (!isObject(p) || !Array.isArray(p.to) || !p.to.length) return error(400, 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.', `personalizations.${i}.to`);
      for (const [j, to] of p.to.entries()) if (!isObject(to) || typeof to.email !== 'string' || !EMAIL.test(to.email)) return error(400, 'Does not contain a valid address.', `personalizations.${i}.to.${j}.email`);
    }
    if (!isObject(b.from) || typeof b.from.email !== 'string' || !EMAIL.test(b.from.email)) return error(400, 'The from email does not contain a valid address.', 'from.email');
    if (typeof b.subject !== 'string' || !b.subject) return error(400, 'The subject is required. You can get around this requirement if you use a template with a subject defined.', 'subject');
    if (!Array.isArray(b.content) || !b.content.length || b.content.some((c: any) => !isObject(c) || typeof c.type !== 'string' || typeof c.value !== 'string' || !c.value))
      return error(400, 'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.', 'content');
    if (b.content.length > 1 && b.content[0].type !== 'text/plain') return error(400, 'If present, text/plain content must be first, followed by any other content.', 'content.0.type');
    if (b.headers !== undefined && (!isObject(b.headers) || Object.entries(b.headers).some(([k, v]) => typeof v !== 'string' || RESERVED_SENDGRID_HEADERS.has(k.toLowerCase()))))
      return error(400, 'Invalid type. Expected: object of string values, with no reserved header.', 'headers');
    if (b.custom_args !== undefined && (!isObject(b.custom_args) || Object.values(b.custom_args).some((v) => typeof v !== 'string'))) return error(400, 'Invalid type. Expected: string', 'custom_args');
    return () => {
      if (refused.has(b.personalizations[0].to[0].email)) return error(400, 'Does not contain a valid address.', 'personalizations.0.to.0.email');
      return { status: 202, headers: { 'X-Message-Id': randomBytes(11).toString('base64url') } };
    };
  });
  return { ...s, url: s.base, refuse: (email) => void refused.add(email) };
}

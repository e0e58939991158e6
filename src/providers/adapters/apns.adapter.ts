import { createHash } from 'node:crypto';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { DestinationRefusedError, guardedLookup, HttpRequestError, HttpTimeoutError, refusedLiteralHost, refusedSocket } from '../../common/net/safe-fetch';
import { parseCidrList } from '../../common/net/private-networks';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure, parseJsonObject } from '../provider.types';
import { noTokens, privateKeyFor, PushOutcome, pushTokens, signJwt } from './push-tokens';

const config = z
  .object({
    /** The .p8 key's id (Apple developer account, Keys). */
    key_id: z.string().regex(/^[A-Z0-9]{10}$/, 'key_id is the 10-character key id'),
    team_id: z.string().regex(/^[A-Z0-9]{10}$/, 'team_id is the 10-character team id'),
    /** The .p8 file's PEM text (an EC P-256 private key). */
    private_key: z.string().includes('PRIVATE KEY', { message: 'private_key is the PEM text of the .p8 key' }),
    /** The app's bundle id: the apns-topic. */
    bundle_id: z.string().min(1),
    /** https://api.push.apple.com, https://api.sandbox.push.apple.com, or a local h2c server in tests. */
    api_base_url: z.string().url().default('https://api.push.apple.com'),
  })
  .strict();

type Config = z.infer<typeof config>;

const TIMEOUT_MS = 30_000;
/** Apple refuses provider tokens older than an hour, and too frequent new ones (TooManyProviderTokenUpdates). */
const JWT_TTL_MS = 50 * 60_000;
const jwts = new Map<string, { jwt: string; until: number }>();

/** 400 reasons about the device token itself (410 Unregistered is the other one). */
const TOKEN_REASONS = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic', 'Unregistered']);

/**
 * Apple Push Notification service, HTTP/2 with token (.p8) authentication: POST
 * /3/device/{token} per device token on one connection. HTTP/2 is not what safeFetch (undici,
 * HTTP/1.1) speaks, so the connection is guarded here with safeFetch's own pieces: literal IP
 * hosts checked before connecting, names resolved through guardedLookup, and the connected
 * socket's address checked before any request is written (allow list: req.allowPrivateNetworks).
 * No idempotency key (apns-id only labels the notification): the commit point comes before the
 * first request.
 */
export const apnsAdapter: ProviderAdapter = {
  name: 'apns',
  channel: 'push',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['private_key'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    const tokens = pushTokens(req.content).apn;
    if (!tokens.length) throw noTokens('apns');
    const jwtKey = `${c.team_id}\u0000${c.key_id}\u0000${createHash('sha256').update(c.private_key).digest('hex')}`;
    const jwt = providerToken(c, jwtKey);
    const apnsId = apnsIdFor(req.messageId);
    const { title, body } = req.content;
    const alert = { ...(typeof title === 'string' ? { title } : {}), ...(typeof body === 'string' ? { body } : {}) };
    const data = req.content.data && typeof req.content.data === 'object' && !Array.isArray(req.content.data) ? (req.content.data as Record<string, unknown>) : {};
    // Custom keys sit beside `aps`; a data key named `aps` cannot replace the alert.
    const payload = JSON.stringify({ ...data, aps: { alert } });

    const deadline = Date.now() + TIMEOUT_MS;
    const base = new URL(c.api_base_url);
    let session: http2.ClientHttp2Session;
    try {
      session = await connect(base, parseCidrList(req.allowPrivateNetworks ?? []), deadline);
    } catch (err) {
      throw err instanceof ProviderError ? err : requestFailure('apns', err);
    }
    const outcome = new PushOutcome('apns', tokens.length);
    try {
      await req.commit();
      for (const token of tokens) {
        let res: { status: number; headers: http2.IncomingHttpHeaders; body: string };
        try {
          res = await post(session, base, `/3/device/${encodeURIComponent(token)}`, payload, deadline, {
            authorization: `bearer ${jwt}`,
            'apns-topic': c.bundle_id,
            'apns-push-type': 'alert',
            'apns-id': apnsId,
            'content-type': 'application/json',
          });
        } catch (err) {
          return outcome.stop(requestFailure('apns', err));
        }
        if (res.status === 200) {
          outcome.accept(token, headerString(res.headers['apns-id']) ?? apnsId);
          continue;
        }
        const reason = String(parseJsonObject(res.body)?.reason ?? '');
        if (res.status === 410 || (res.status === 400 && TOKEN_REASONS.has(reason))) {
          outcome.unregister(token);
          continue;
        }
        // InvalidProviderToken, ExpiredProviderToken…: sign a new one next time.
        if (res.status === 403) jwts.delete(jwtKey);
        const kind = res.status === 403 ? 'provider' : httpStatusKind(res.status);
        return outcome.stop(new ProviderError(`apns: HTTP ${res.status}${reason ? ` ${reason}` : ''}`, kind, { status: res.status, response: clip(res.body) }));
      }
      return outcome.finish();
    } finally {
      session.close();
      // close() waits for streams to end; a stuck one must not keep the socket past the send.
      setTimeout(() => session.destroy(), 1000).unref();
    }
  },
};

/** The provider token (ES256 JWT: kid, iss = team, iat), reused for 50 minutes as Apple asks. */
function providerToken(c: Config, cacheKey: string): string {
  const cached = jwts.get(cacheKey);
  if (cached && cached.until > Date.now()) return cached.jwt;
  const key = privateKeyFor('apns', 'private_key', c.private_key, 'ES256');
  const jwt = signJwt('ES256', { kid: c.key_id }, { iss: c.team_id, iat: Math.floor(Date.now() / 1000) }, key);
  jwts.set(cacheKey, { jwt, until: Date.now() + JWT_TTL_MS });
  return jwt;
}

/** apns-id: the message id when it is a UUID, else a name-based UUID (v5 layout) of it, so retries carry the same id. */
export function apnsIdFor(messageId: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(messageId)) return messageId.toLowerCase();
  const b = createHash('sha1').update(`herald-message:${messageId}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * An HTTP/2 session to `base` (TLS for https:, cleartext prior knowledge for http:), with the
 * SSRF guard of safeFetch: refused before a request is written if the address is not allowed.
 */
function connect(base: URL, allowList: ReturnType<typeof parseCidrList>, deadline: number): Promise<http2.ClientHttp2Session> {
  if (base.protocol !== 'https:' && base.protocol !== 'http:') return Promise.reject(new ProviderError('apns: api_base_url must be an https: (or, for a local server, http:) URL', 'provider'));
  const literal = refusedLiteralHost(base.hostname, allowList);
  if (literal) return Promise.reject(literal);
  return new Promise((resolve, reject) => {
    const session = http2.connect(base.origin, { lookup: guardedLookup(allowList) } as http2.SecureClientSessionOptions);
    const timer = setTimeout(() => fail(new HttpTimeoutError(base.host, TIMEOUT_MS)), Math.max(0, deadline - Date.now()));
    function fail(err: Error) {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    }
    session.once('error', (err: NodeJS.ErrnoException) => fail(err instanceof HttpRequestError || err instanceof DestinationRefusedError ? err : new HttpRequestError(base.host, err.message, err.code)));
    session.once('connect', () => {
      clearTimeout(timer);
      const refused = refusedSocket(base.hostname, session.socket as unknown as Socket, allowList);
      if (refused) return fail(refused);
      // Later errors (a reset mid-send) surface on the streams; keep them from being unhandled.
      session.removeAllListeners('error');
      session.on('error', () => undefined);
      resolve(session);
    });
  });
}

function post(
  session: http2.ClientHttp2Session,
  base: URL,
  path: string,
  body: string,
  deadline: number,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, ...headers, 'content-length': String(Buffer.byteLength(body)) });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new HttpTimeoutError(base.host, TIMEOUT_MS)));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, Math.max(0, deadline - Date.now()));
    let responseHeaders: http2.IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const h = responseHeaders;
      if (h) settle(() => resolve({ status: Number(h[':status'] ?? 0), headers: h, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // The message of a stream error names no header, so no token can leak through it.
    stream.on('error', (err: NodeJS.ErrnoException) => settle(() => reject(new HttpRequestError(base.host, err.message, err.code))));
    // Reset or the connection lost before a whole answer.
    stream.on('close', () => settle(() => reject(new HttpRequestError(base.host, `stream closed before an answer (code ${stream.rstCode})`, 'ECONNRESET'))));
    stream.end(body);
  });
}

function headerString(v: string | string[] | undefined): string | null {
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
}

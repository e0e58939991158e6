import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure, parseJsonObject } from '../provider.types';
import { noTokens, privateKeyFor, PushOutcome, pushTokens, signJwt, stringData } from './push-tokens';

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/** The service account key file as Google hands it out; its other fields (type, client_id, auth_uri…) are ignored. */
const serviceAccount = z.looseObject({
  project_id: z.string().min(1),
  client_email: z.string().email(),
  private_key: z.string().includes('PRIVATE KEY', { message: 'private_key is the PEM private key of the service account' }),
  private_key_id: z.string().optional(),
  token_uri: z.string().url().optional(),
});

const config = z
  .object({
    /** The key file, as an object or as the JSON text of the downloaded file. */
    service_account: z.preprocess((v) => (typeof v === 'string' ? parseJsonObject(v) ?? v : v), serviceAccount),
    /** The API's base URL; a local server in tests. */
    api_base_url: z.string().url().default('https://fcm.googleapis.com'),
  })
  .strict();

type Config = z.infer<typeof config>;

/**
 * OAuth access tokens by service account and token endpoint, kept until a minute before they
 * expire (Google's last an hour): one token request per hour per account, not one per message.
 */
const accessTokens = new Map<string, { token: string; until: number }>();

/**
 * Firebase Cloud Messaging HTTP v1 (POST /v1/projects/{project}/messages:send, OAuth 2 with a
 * service account). The API takes one token per request, so a recipient's tokens are sent one
 * after the other; there is no idempotency key, so the commit point comes before the first send
 * (the token request before it delivers nothing).
 */
export const fcmAdapter: ProviderAdapter = {
  name: 'fcm',
  channel: 'push',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['service_account'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    const tokens = pushTokens(req.content).firebase;
    if (!tokens.length) throw noTokens('fcm');
    const cacheKey = `${c.service_account.client_email}\u0000${c.service_account.token_uri ?? GOOGLE_TOKEN_URI}`;
    const accessToken = await getAccessToken(req, c, cacheKey);

    const url = `${c.api_base_url.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(c.service_account.project_id)}/messages:send`;
    const { title, body } = req.content;
    const notification = { ...(typeof title === 'string' ? { title } : {}), ...(typeof body === 'string' ? { body } : {}) };
    const data = stringData(req.content.data);
    const outcome = new PushOutcome('fcm', tokens.length);

    await req.commit();
    for (const token of tokens) {
      let res;
      try {
        res = await req.fetch(url, {
          method: 'POST',
          body: JSON.stringify({ message: { token, notification, ...(Object.keys(data).length ? { data } : {}) } }),
          timeoutMs: 30_000,
          maxRedirects: 0,
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}`, 'User-Agent': 'Herald/1' },
        });
      } catch (err) {
        return outcome.stop(requestFailure('fcm', err));
      }
      const json = parseJsonObject(res.body);
      if (res.status === 200) {
        outcome.accept(token, typeof json?.name === 'string' ? json.name : null);
        continue;
      }
      const error = (json?.error ?? {}) as FcmError;
      if (isUnregistered(res.status, error)) {
        outcome.unregister(token);
        continue;
      }
      // A revoked or re-scoped service account: the next attempt asks for a fresh token.
      if (res.status === 401 || res.status === 403) accessTokens.delete(cacheKey);
      const kind = res.status === 401 || res.status === 403 ? 'provider' : httpStatusKind(res.status);
      const message = `fcm: HTTP ${res.status}${error.status ? ` ${error.status}` : ''}: ${clip(String(error.message ?? res.body), 200)}`;
      return outcome.stop(new ProviderError(message, kind, { status: res.status, response: clip(res.body) }));
    }
    return outcome.finish();
  },
};

interface FcmError {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; errorCode?: string; fieldViolations?: Array<{ field?: string }> }>;
}

/**
 * The token is gone: 404 NOT_FOUND / errorCode UNREGISTERED (app uninstalled, token expired), or
 * 400 INVALID_ARGUMENT about `message.token` (not a valid registration token). Other 400s are
 * about the payload and say nothing about the device.
 */
function isUnregistered(status: number, error: FcmError): boolean {
  const details = Array.isArray(error.details) ? error.details : [];
  if (details.some((d) => d.errorCode === 'UNREGISTERED')) return true;
  if (status === 404 && error.status === 'NOT_FOUND') return true;
  if (status === 400 && error.status === 'INVALID_ARGUMENT') {
    const aboutToken = details.some((d) => d.fieldViolations?.some((f) => f.field === 'message.token'));
    return aboutToken || /registration token/i.test(String(error.message ?? ''));
  }
  return false;
}

/** A cached access token, or a new one by the JWT bearer grant (RFC 7523) with the service account's key. */
async function getAccessToken(req: ProviderSend, c: Config, cacheKey: string): Promise<string> {
  const cached = accessTokens.get(cacheKey);
  if (cached && cached.until > Date.now()) return cached.token;
  const sa = c.service_account;
  const tokenUri = sa.token_uri ?? GOOGLE_TOKEN_URI;
  const key = privateKeyFor('fcm', 'service_account.private_key', sa.private_key, 'RS256');
  const iat = Math.floor(Date.now() / 1000);
  const assertion = signJwt('RS256', { typ: 'JWT', ...(sa.private_key_id ? { kid: sa.private_key_id } : {}) }, { iss: sa.client_email, scope: FCM_SCOPE, aud: tokenUri, iat, exp: iat + 3600 }, key);
  let res;
  try {
    res = await req.fetch(tokenUri, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      timeoutMs: 30_000,
      maxRedirects: 0,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'Herald/1' },
    });
  } catch (err) {
    throw requestFailure('fcm', err);
  }
  const json = parseJsonObject(res.body);
  if (res.status === 200 && typeof json?.access_token === 'string') {
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 3600;
    accessTokens.set(cacheKey, { token: json.access_token, until: Date.now() + (expiresIn - 60) * 1000 });
    return json.access_token;
  }
  // 400/401 invalid_grant, invalid_client…: the service account cannot sign in (its error text names no secret).
  const reason = [json?.error, json?.error_description].filter((s) => typeof s === 'string').join(': ') || clip(res.body, 200);
  throw new ProviderError(`fcm: the OAuth token request failed with HTTP ${res.status}: ${reason}`, httpStatusKind(res.status), {
    status: res.status,
    response: clip(res.body),
  });
}

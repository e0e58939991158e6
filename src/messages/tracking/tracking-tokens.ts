/**
 * Signed tracking tokens for email opens and clicks (SPEC §4: `GET /t/o/{token}`,
 * `GET /t/c/{token}`).
 *
 * Format: `base64url(JSON claims) + '.' + base64url(HMAC-SHA256(secret, <first part>))`, both
 * parts unpadded, so the token is URL-path safe. The claims are readable by anyone holding the
 * token (they are not encrypted) but cannot be altered or forged without the secret; in
 * particular the click redirect target `u` (http(s) only) is covered by the signature, and a
 * click token carries an expiry `x`, so `/t/c/` is not an open redirect that lives forever.
 */
import { createHmac, timingSafeEqual } from 'crypto';

export interface TrackingClaims {
  /** workspace id */
  w: string;
  /** message id */
  m: string;
  /** open or click */
  k: 'o' | 'c';
  /** original URL, clicks only */
  u?: string;
  /** channel, optional */
  c?: string;
  /** expiry, epoch seconds: required on clicks (a link must not redirect forever), optional on opens */
  x?: number;
}

/** How long a tracked link redirects (and an open counts) by default: long after any campaign. */
export const TRACKING_TOKEN_TTL_MS = 180 * 24 * 3600_000;

/** Tokens longer than this are rejected by verify and never produced by sign. */
export const MAX_TRACKING_TOKEN_LENGTH = 4096;

const B64URL = /^[A-Za-z0-9_-]+$/;
/** Absolute http(s) URL; no whitespace or control characters (they would corrupt a Location header). */
const HTTP_URL = /^https?:\/\/[^\s\x00-\x1f\x7f]+$/i;

/**
 * True for an absolute `http:`/`https:` URL with a host, no whitespace and no control
 * characters. `https:foo` (no slashes) and `//host` are rejected.
 */
export function isTrackableUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !HTTP_URL.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Validate shape; returns a copy holding only the known fields, or null. */
function normalizeClaims(value: unknown): TrackingClaims | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const own = (key: string) => Object.prototype.hasOwnProperty.call(v, key);
  if (!isNonEmptyString(v.w) || !isNonEmptyString(v.m)) return null;
  if (v.k !== 'o' && v.k !== 'c') return null;
  const claims: TrackingClaims = { w: v.w, m: v.m, k: v.k };
  if (v.k === 'c') {
    if (!isTrackableUrl(v.u)) return null;
    claims.u = v.u;
  } else if (own('u')) {
    return null; // open tokens carry no URL
  }
  if (own('c')) {
    if (!isNonEmptyString(v.c)) return null;
    claims.c = v.c;
  }
  if (own('x')) {
    if (typeof v.x !== 'number' || !Number.isSafeInteger(v.x) || v.x <= 0) return null;
    claims.x = v.x;
  } else if (v.k === 'c') {
    return null;
  }
  return claims;
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/**
 * Sign claims. Throws `TypeError` for an empty secret or invalid claims (e.g. a click without an
 * absolute http(s) `u`) and `RangeError` if the token would exceed
 * `MAX_TRACKING_TOKEN_LENGTH` — it never returns a token that `verifyTrackingToken` rejects.
 */
export function signTrackingToken(claims: TrackingClaims, secret: string, nowMs = Date.now(), ttlMs = TRACKING_TOKEN_TTL_MS): string {
  if (!isNonEmptyString(secret)) throw new TypeError('tracking secret must be a non-empty string');
  const normalized = normalizeClaims({ ...claims, x: claims.x ?? Math.ceil((nowMs + ttlMs) / 1000) });
  if (!normalized) throw new TypeError('invalid tracking claims');
  // Fixed key order: w, m, k, u?, c?, x
  const payload = Buffer.from(JSON.stringify(normalized), 'utf8').toString('base64url');
  const token = `${payload}.${mac(payload, secret)}`;
  if (token.length > MAX_TRACKING_TOKEN_LENGTH) {
    throw new RangeError(`tracking token longer than ${MAX_TRACKING_TOKEN_LENGTH} characters`);
  }
  return token;
}

/** Whether a verified token's expiry has passed (a click then answers 410 instead of redirecting). */
export function isTrackingTokenExpired(claims: TrackingClaims, nowMs = Date.now()): boolean {
  return claims.x !== undefined && claims.x * 1000 <= nowMs;
}

/**
 * Verify and decode a token. Returns null (never throws) for anything malformed, over-long,
 * wrongly signed, or with claims of the wrong shape.
 */
export function verifyTrackingToken(token: string, secret: string): TrackingClaims | null {
  try {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TRACKING_TOKEN_LENGTH) {
      return null;
    }
    if (!isNonEmptyString(secret)) return null;
    const parts = token.split('.');
    if (parts.length !== 2) return null;
    const [payload, signature] = parts;
    if (!B64URL.test(payload) || !B64URL.test(signature)) return null;

    // Compare the canonical base64url signature string, so non-canonical encodings of the same
    // bytes are rejected too.
    const expected = Buffer.from(mac(payload, secret), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;

    const json = Buffer.from(payload, 'base64url').toString('utf8');
    return normalizeClaims(JSON.parse(json));
  } catch {
    return null;
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an unsubscribe link is bound to: a workspace, a user and a topic. */
export interface UnsubscribeClaims {
  w: string;
  u: string;
  t: string;
}

/** What a preferences-page link is bound to: a workspace and a user (every topic of theirs). */
export interface PreferencesClaims {
  w: string;
  u: string;
}

/**
 * Each kind of token is signed under its own label, so a token of one kind never verifies as
 * another (an unsubscribe link cannot open the preferences page, nor the reverse), whatever its
 * claims say.
 */
const LABELS = { unsubscribe: 'herald-unsubscribe', preferences: 'herald-preferences' } as const;
type TokenKind = keyof typeof LABELS;

/**
 * `base64url(JSON claims).base64url(HMAC-SHA256)`, keyed by the installation's tracking secret
 * under its own label: it cannot be forged, nor changed to another user or topic; it holds ids,
 * no secret. It does not expire (an unsubscribe link must keep working, RFC 8058) and replaying
 * it can only opt the same user out of the same topic again.
 */
export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  return sign('unsubscribe', { w: claims.w, u: claims.u, t: claims.t }, secret);
}

export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaims | null {
  const v = verify('unsubscribe', token, secret);
  if (!v || typeof v.w !== 'string' || typeof v.u !== 'string' || typeof v.t !== 'string' || !v.w || !v.u || !v.t) return null;
  return { w: v.w, u: v.u, t: v.t };
}

/**
 * The hosted preferences page's token (`{{ preferences_url }}`): the same format under the
 * preferences label, bound to workspace + user only. Like the unsubscribe link it does not expire;
 * whoever holds it can change that one user's non-REQUIRED preferences, nothing else.
 */
export function signPreferencesToken(claims: PreferencesClaims, secret: string): string {
  return sign('preferences', { w: claims.w, u: claims.u }, secret);
}

export function verifyPreferencesToken(token: string, secret: string): PreferencesClaims | null {
  const v = verify('preferences', token, secret);
  if (!v || typeof v.w !== 'string' || typeof v.u !== 'string' || !v.w || !v.u || v.t !== undefined) return null;
  return { w: v.w, u: v.u };
}

function sign(kind: TokenKind, claims: Record<string, string>, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${payload}.${mac(kind, payload, secret)}`;
}

function verify(kind: TokenKind, token: string, secret: string): Record<string, unknown> | null {
  try {
    if (typeof token !== 'string' || token.length > 4096) return null;
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return null;
    const expected = Buffer.from(mac(kind, payload, secret));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function mac(kind: TokenKind, payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`${LABELS[kind]}\u0000${payload}`).digest('base64url');
}

/**
 * `List-Unsubscribe` (RFC 2369, RFC 8058): the HTTPS one-click URL first, then, when Herald's
 * unsubscribe mailbox is configured, a `mailto:` whose subject carries the same token.
 */
export function listUnsubscribeHeader(url: string, token: string, mailbox?: string): string {
  const entries = [`<${url}>`];
  if (mailbox) entries.push(`<mailto:${mailbox}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`);
  return entries.join(', ');
}

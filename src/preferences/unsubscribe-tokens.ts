import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an unsubscribe link is bound to: a workspace, a user and a topic. */
export interface UnsubscribeClaims {
  w: string;
  u: string;
  t: string;
}

const LABEL = 'herald-unsubscribe';

/**
 * `base64url(JSON claims).base64url(HMAC-SHA256)`, keyed by the installation's tracking secret
 * under its own label: it cannot be forged, nor changed to another user or topic; it holds ids,
 * no secret. It does not expire (an unsubscribe link must keep working, RFC 8058) and replaying
 * it can only opt the same user out of the same topic again.
 */
export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ w: claims.w, u: claims.u, t: claims.t }), 'utf8').toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaims | null {
  try {
    if (typeof token !== 'string' || token.length > 4096) return null;
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return null;
    const expected = Buffer.from(mac(payload, secret));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof v.w !== 'string' || typeof v.u !== 'string' || typeof v.t !== 'string' || !v.w || !v.u || !v.t) return null;
    return { w: v.w, u: v.u, t: v.t };
  } catch {
    return null;
  }
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`${LABEL}\u0000${payload}`).digest('base64url');
}

import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { clip, ProviderError, type ProviderReceipt, type PushTokens } from '../provider.types';

/**
 * Helpers shared by the push adapters (fcm, apns, expo): the outcome of a send to several device
 * tokens, JWT signing for the provider credentials, and FCM-style string-only data.
 */

/**
 * The outcome of one push send to a recipient's tokens, collected token by token:
 * - at least one token accepted: a receipt (the unregistered ones listed, to be removed);
 * - every token unregistered: a `recipient` error carrying them;
 * - a failure that is not about one token (auth, rate limit, outage) stops the send. Before any
 *   token was accepted it is thrown (with the unregistered tokens seen so far); after, the
 *   receipt is returned instead, because retrying or failing over would push the same
 *   notification again to the devices that already got it.
 */
export class PushOutcome {
  private readonly accepted: Array<{ token: string; id: string | null }> = [];
  private readonly unregistered: string[] = [];

  constructor(
    private readonly provider: string,
    private readonly total: number,
  ) {}

  accept(token: string, id: string | null): void {
    this.accepted.push({ token, id });
  }

  unregister(token: string): void {
    this.unregistered.push(token);
  }

  /** The accepted tokens' tickets (those the provider gave an id). */
  tickets(): Array<{ id: string; token: string }> {
    return this.accepted.flatMap((a) => (a.id ? [{ id: a.id, token: a.token }] : []));
  }

  /** A failure not about one token: thrown if nothing was accepted yet, else the receipt of what was. */
  stop(err: ProviderError): ProviderReceipt {
    if (!this.accepted.length) {
      throw new ProviderError(err.message, err.kind, { ...err.details, ...(this.unregistered.length ? { unregisteredTokens: [...this.unregistered] } : {}) });
    }
    const notSent = this.total - this.accepted.length - this.unregistered.length;
    return this.receipt(`; ${notSent} not sent: ${err.message}`);
  }

  /** Every token answered. */
  finish(): ProviderReceipt {
    if (this.accepted.length) return this.receipt('');
    throw new ProviderError(`${this.provider}: ${this.unregistered.length === 1 ? 'the device token is' : `all ${this.unregistered.length} device tokens are`} no longer registered`, 'recipient', {
      unregisteredTokens: [...this.unregistered],
    });
  }

  private receipt(note: string): ProviderReceipt {
    const unregistered = this.unregistered.length ? `, ${this.unregistered.length} unregistered` : '';
    return {
      response: clip(`${this.accepted[0].id ?? 'accepted'}: ${this.accepted.length}/${this.total} tokens accepted${unregistered}${note}`),
      providerMessageId: this.accepted[0].id,
      // Accepted by the push service, not yet shown on the device.
      delivered: false,
      ...(this.unregistered.length ? { unregisteredTokens: [...this.unregistered] } : {}),
    };
  }
}

/** content.tokens of a push message, tolerating a partial or missing object. */
export function pushTokens(content: Record<string, unknown>): PushTokens {
  const t = (content.tokens ?? {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? [...new Set(v.filter((s): s is string => typeof s === 'string' && s.length > 0))] : []);
  return { firebase: list(t.firebase), apn: list(t.apn), expo: list(t.expo) };
}

/** When a recipient has no token for this provider: nothing to send to, and no other provider of the family helps. */
export function noTokens(provider: string): ProviderError {
  return new ProviderError(`${provider}: the recipient has no ${provider} push token`, 'recipient');
}

/**
 * A compact JWS (JWT) signed with node:crypto. RS256 (Google service accounts) and ES256 (APNs
 * .p8 keys; the signature in JOSE's raw r||s form, not DER). node:crypto rather than `jose`:
 * jose 6 is an ES module only, which Jest's CommonJS runtime here (jest.config.js transforms
 * no node_modules) cannot load, and these two algorithms are a dozen lines.
 */
export function signJwt(alg: 'RS256' | 'ES256', header: Record<string, string>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url(JSON.stringify({ alg, ...header }))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * A PEM private key for `alg`, or a `provider` error naming the field (never the key: node's
 * own parse errors are replaced, in case one ever quotes its input).
 */
export function privateKeyFor(provider: string, field: string, pem: string, alg: 'RS256' | 'ES256'): KeyObject {
  let key: KeyObject;
  try {
    // Keys pasted into JSON forms often arrive with literal "\n" sequences.
    key = createPrivateKey(pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);
  } catch {
    throw new ProviderError(`${provider}: ${field} is not a PEM private key`, 'provider');
  }
  const ok = alg === 'RS256' ? key.asymmetricKeyType === 'rsa' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!ok) throw new ProviderError(`${provider}: ${field} is not ${alg === 'RS256' ? 'an RSA' : 'a P-256 (ES256)'} private key`, 'provider');
  return key;
}

/** FCM (and data-only payloads generally) take string values only: others are sent as their JSON. */
export function stringData(data: unknown): Record<string, string> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}


function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

import { DurationError, parseDuration, untilToDelayMs } from '../../workflows/shared/durations';
import { badRequest } from '../common/errors/api-error';
import { maskApiKey } from './api-key-format';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** A key as the API shows it: never the secret, only its masked first characters. */
export interface ApiKeyView {
  id: string;
  name: string;
  key_hint: string;
  status: ApiKeyStatus;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export function keyStatus(row: Pick<ApiKeyRow, 'expiresAt' | 'revokedAt'>, nowMs = Date.now()): ApiKeyStatus {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt && row.expiresAt.getTime() <= nowMs) return 'expired';
  return 'active';
}

export function toKeyView(row: ApiKeyRow, nowMs = Date.now()): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    key_hint: maskApiKey(row.keyPrefix),
    status: keyStatus(row, nowMs),
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

/** The latest expiry a key may have (timestamptz and Date both hold it; beyond, ISO strings change shape). */
const LATEST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * When a key given `expires_at` (an ISO-8601 timestamp in the future) or `expires_in` (a
 * duration such as "7 days") expires: undefined when neither is given, null for `expires_at: null`
 * (no expiry). A bad value is a 400 naming the field.
 */
export function expiryFrom(body: { expires_at?: string | null; expires_in?: string }, nowMs = Date.now()): Date | null | undefined {
  const hasAt = body.expires_at !== undefined;
  if (hasAt && body.expires_in !== undefined) throw badRequest('give expires_at or expires_in, not both');
  let at: number;
  if (body.expires_in !== undefined) {
    try {
      at = nowMs + parseDuration(body.expires_in);
    } catch (err) {
      throw badRequest(`expires_in: ${err instanceof DurationError ? err.message : 'invalid duration'}`);
    }
    if (at > LATEST_EXPIRY_MS) throw badRequest('expires_in is too long: the key would expire after the year 9999');
  } else if (hasAt) {
    if (body.expires_at === null) return null;
    let delay: number;
    try {
      delay = untilToDelayMs(body.expires_at, nowMs);
    } catch (err) {
      throw badRequest(`expires_at: ${err instanceof DurationError ? err.message : 'invalid timestamp'}`);
    }
    if (delay <= 0) throw badRequest('expires_at must be in the future (revoke a key to stop it now)');
    at = nowMs + delay;
  } else {
    return undefined;
  }
  return new Date(at);
}

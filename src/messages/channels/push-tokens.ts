import { isPlainObject, JsonObject } from '../../../workflows/shared/json';
import type { PushTokens } from '../../providers/provider.types';

const strings = (v: unknown): string[] => (typeof v === 'string' && v ? [v] : Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string' && t.length > 0) : []);

/**
 * A recipient's push tokens in Courier's profile shape: `firebaseToken` (one or a list),
 * `apn.token` (or `apn.tokens`), `expo.tokens` (or `expo.token`); `to` overrides the profile.
 */
export function pushTokensOf(to: JsonObject, profile: JsonObject): PushTokens {
  const pick = (key: string) => (to[key] !== undefined ? to[key] : profile[key]);
  const apn = pick('apn');
  const expo = pick('expo');
  const unique = (list: string[]) => [...new Set(list)].slice(0, 100);
  return {
    firebase: unique(strings(pick('firebaseToken'))),
    apn: unique(isPlainObject(apn) ? [...strings(apn.token), ...strings(apn.tokens)] : []),
    expo: unique(isPlainObject(expo) ? [...strings(expo.tokens), ...strings(expo.token)] : []),
  };
}

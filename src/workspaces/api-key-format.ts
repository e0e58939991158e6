import { createHash, randomBytes } from 'node:crypto';

/** API keys are 32 random bytes: high entropy, so a plain SHA-256 is a safe, fast lookup hash. */
export function generateApiKey(): string {
  return `hk_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What may be shown of a key: its first characters, never the rest. */
export function maskApiKey(key: string): string {
  return `${key.slice(0, 7)}…`;
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets Herald must use later (RudderStack write keys): stored protected,
 * readable only with the installation's sealing key. Format: v2.<key id>.<iv>.<tag>.<ciphertext>
 * (base64url), the key id naming which key sealed it so keys can rotate; v1 (no key id) is still
 * opened by trying each key.
 */
export function seal(plaintext: string, key: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(key), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', keyId(key), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** Opens a sealed value with whichever of `keys` sealed it (by its key id; v1 values: each in turn). */
export function unseal(sealed: string, keys: string[]): string {
  const parts = sealed.split('.');
  if (parts[0] === 'v2' && parts.length === 5) {
    const key = keys.find((k) => keyId(k) === parts[1]);
    if (!key) throw new Error(`sealed with key ${parts[1]}, which is not configured (HERALD_SEALING_KEY / HERALD_SEALING_KEYS_PREVIOUS)`);
    return open(key, parts[2], parts[3], parts[4]);
  }
  if (parts[0] === 'v1' && parts.length === 4) {
    for (const key of keys) {
      try {
        return open(key, parts[1], parts[2], parts[3]);
      } catch {
        // the next key
      }
    }
    throw new Error('sealed with a key that is not configured');
  }
  throw new Error('sealed secret has an unknown format');
}

/** A short public name of a key (not enough to guess it): which key sealed a value. */
export function keyId(key: string): string {
  return createHash('sha256').update(deriveKey(key)).digest('hex').slice(0, 12);
}

function open(key: string, iv: string, tag: string, body: string): string {
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(key), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

function deriveKey(key: string): Buffer {
  return createHash('sha256').update(`herald-secret-box\u0000${key}`).digest();
}

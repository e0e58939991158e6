import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Temporal payload codec: every payload Herald's client and worker send (workflow and activity
 * inputs and results, signals, memos) is stored by Temporal as AES-256-GCM ciphertext, with the
 * id of the key that sealed it, so profiles, event data and fetch-data headers are not readable
 * in Temporal's database or its UI. A payload that is not encrypted (histories recorded before
 * the codec) passes through, so old histories still replay.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string;

  /** `current` encrypts; it and `previous` decrypt (installation keys, derived for this use). */
  constructor(current: string, previous: string[] = []) {
    const derived = [current, ...previous].map((k) => deriveCodecKey(k));
    this.keys = new Map(derived.map((k) => [codecKeyId(k), k]));
    this.currentId = codecKeyId(derived[0]);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID]: Buffer.from(this.currentId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      const key = this.keys.get(id);
      if (!key) throw new Error(`payload encrypted with key ${id || '(none)'}, which is not configured (HERALD_SEALING_KEY / HERALD_SEALING_KEYS_PREVIOUS)`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

function deriveCodecKey(installationKey: string): Buffer {
  return createHash('sha256').update(`herald-payload-codec\u0000${installationKey}`).digest();
}

function codecKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** The secret path segment of the codec endpoint (`/codec/<token>/decode`), derived from the installation key. */
export function codecEndpointToken(installationKey: string): string {
  return createHmac('sha256', installationKey).update('herald-codec-endpoint').digest('base64url').slice(0, 32);
}

import { createHash } from 'node:crypto';

/**
 * The dispatcher shard of a recipient: a stable hash, so one recipient's events always go to
 * one dispatcher and are applied in ledger order, while recipients spread over the shards.
 * (Changing INBOUND_SHARDS moves recipients: rows already accepted keep the shard they got.)
 */
export function shardOf(recipientId: string, shards: number): number {
  return createHash('sha1').update(recipientId).digest().readUInt32BE(0) % shards;
}

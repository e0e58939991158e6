import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type InboundEventState = 'received' | 'accepted';
export type InboundEventOutcome = 'processed' | 'unmapped' | 'failed';

/**
 * The permanent ledger of inbound events: `(workspace, messageId)` is unique forever, so
 * idempotency does not depend on Temporal's retention.
 */
@Entity('inbound_events')
@Index(['workspaceId', 'messageId'], { unique: true })
@Index(['workspaceId', 'id'])
@Index(['workspaceId', 'eventId', 'id'])
export class InboundEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('varchar', { name: 'workspace_id', length: 64 })
  workspaceId: string;

  @Column('varchar', { name: 'message_id', length: 512 })
  messageId: string;

  @Column('varchar', { length: 16 })
  type: string;

  /** Catalog key: identify, group, alias, track/<event>, page/<name>, screen/<name>. */
  @Column('varchar', { name: 'event_id', length: 1100 })
  eventId: string;

  @Column('varchar', { name: 'user_id', length: 512, nullable: true })
  userId: string | null;

  /** Null once the retention job pruned it (the row stays: it is the idempotency record). */
  @Column('jsonb', { nullable: true })
  body: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonb document

  @Column('timestamptz', { name: 'received_at', default: () => 'now()' })
  receivedAt: Date;

  /** received: stored, workflow maybe not started yet; accepted: workflow started, 202 sent. */
  @Column('varchar', { length: 16, default: 'received' })
  state: InboundEventState;

  /** Set by the ingest workflow when it finishes; null while pending. */
  @Column('varchar', { length: 16, nullable: true })
  outcome: InboundEventOutcome | null;

  @Column('jsonb', { name: 'run_ids', default: () => "'[]'::jsonb" })
  runIds: string[];

  @Column('text', { nullable: true })
  error: string | null;

  @Column('timestamptz', { name: 'processed_at', nullable: true })
  processedAt: Date | null;

  /** How many repeats of this messageId were answered as duplicates. */
  @Column('int', { name: 'duplicate_count', default: 0 })
  duplicateCount: number;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per event id seen in a workspace: the catalog of the integration page. */
@Entity('inbound_event_types')
export class InboundEventType {
  @PrimaryColumn('varchar', { name: 'workspace_id', length: 64 })
  workspaceId: string;

  @PrimaryColumn('varchar', { name: 'event_id', length: 1100 })
  eventId: string;

  @Column('varchar', { length: 16 })
  type: string;

  @Column('bigint', { default: 0 })
  count: string;

  @Column('timestamptz', { name: 'first_seen_at' })
  firstSeenAt: Date;

  @Column('timestamptz', { name: 'last_seen_at' })
  lastSeenAt: Date;

  @Column('jsonb')
  sample: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonb document
}

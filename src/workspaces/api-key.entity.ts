import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An API key, stored as its SHA-256 hash; only a short prefix is kept for display. A workspace
 * may hold several: one is active while it is neither revoked nor past its expiry.
 */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column('varchar', { name: 'workspace_id', length: 64 })
  workspaceId: string;

  @Column('varchar', { length: 200 })
  name: string;

  @Index({ unique: true })
  @Column('char', { name: 'key_hash', length: 64 })
  keyHash: string;

  @Column('varchar', { name: 'key_prefix', length: 16 })
  keyPrefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  /** After this the key is refused (null: never), so an old key can overlap a new one and then lapse. */
  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** When a request last authenticated with it, written at most once a minute. */
  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}

import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('tenant_memberships')
@Index(['workspaceId', 'userId'])
export class TenantMembership {
  @PrimaryColumn('varchar', { name: 'workspace_id', length: 64 })
  workspaceId: string;

  @PrimaryColumn('varchar', { name: 'tenant_id', length: 512 })
  tenantId: string;

  @PrimaryColumn('varchar', { name: 'user_id', length: 512 })
  userId: string;

  /** Per-tenant profile overrides for this member. */
  @Column('jsonb', { default: () => "'{}'::jsonb" })
  profile: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonb document

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

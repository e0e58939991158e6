import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('tenants')
export class Tenant {
  @PrimaryColumn('varchar', { name: 'workspace_id', length: 64 })
  workspaceId: string;

  @PrimaryColumn('varchar', { length: 512 })
  id: string;

  @Column('varchar', { length: 512, nullable: true })
  name: string | null;

  @Column('varchar', { name: 'parent_tenant_id', length: 512, nullable: true })
  parentTenantId: string | null;

  @Column('jsonb', { default: () => "'{}'::jsonb" })
  properties: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonb document

  /** Default profile values for the tenant's members (Courier's `user_profile`). */
  @Column('jsonb', { name: 'user_profile', default: () => "'{}'::jsonb" })
  userProfile: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonb document

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

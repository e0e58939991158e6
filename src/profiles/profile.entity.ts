import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('profiles')
export class Profile {
  @PrimaryColumn('varchar', { name: 'workspace_id', length: 64 })
  workspaceId: string;

  @PrimaryColumn('varchar', { name: 'user_id', length: 512 })
  userId: string;

  @Column('jsonb', { default: () => "'{}'::jsonb" })
  profile: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- jsonb document

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

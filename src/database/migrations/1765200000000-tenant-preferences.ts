import { MigrationInterface, QueryRunner } from 'typeorm';

/** A tenant's default preference per topic: between the user's own choice and the topic's default. */
export class TenantPreferences1765200000000 implements MigrationInterface {
  name = 'TenantPreferences1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tenant_default_preferences" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "tenant_id" varchar(512) NOT NULL, "topic_id" varchar(200) NOT NULL, "status" varchar(16) NOT NULL,
      "has_custom_routing" boolean NOT NULL DEFAULT false, "custom_routing" jsonb NOT NULL DEFAULT '[]'::jsonb, "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_tenant_default_preferences" PRIMARY KEY ("workspace_id", "tenant_id", "topic_id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "tenant_default_preferences"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** Workspaces and keys, profiles, tenants and memberships, the inbound event log and catalog. */
export class Foundation1764400000000 implements MigrationInterface {
  name = 'Foundation1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "workspaces" ("id" varchar(64) NOT NULL, "name" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_workspaces" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "name" varchar(200) NOT NULL, "key_hash" char(64) NOT NULL, "key_prefix" varchar(16) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(), "revoked_at" timestamptz,
      CONSTRAINT "PK_api_keys" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_api_keys_workspace" ON "api_keys" ("workspace_id")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_api_keys_hash" ON "api_keys" ("key_hash")`);

    await q.query(`CREATE TABLE "profiles" ("workspace_id" varchar(64) NOT NULL, "user_id" varchar(512) NOT NULL,
      "profile" jsonb NOT NULL DEFAULT '{}'::jsonb, "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_profiles" PRIMARY KEY ("workspace_id", "user_id"))`);

    await q.query(`CREATE TABLE "tenants" ("workspace_id" varchar(64) NOT NULL, "id" varchar(512) NOT NULL,
      "name" varchar(512), "parent_tenant_id" varchar(512), "properties" jsonb NOT NULL DEFAULT '{}'::jsonb,
      "user_profile" jsonb NOT NULL DEFAULT '{}'::jsonb, "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_tenants" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE TABLE "tenant_memberships" ("workspace_id" varchar(64) NOT NULL,
      "tenant_id" varchar(512) NOT NULL, "user_id" varchar(512) NOT NULL, "profile" jsonb NOT NULL DEFAULT '{}'::jsonb,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_tenant_memberships" PRIMARY KEY ("workspace_id", "tenant_id", "user_id"),
      CONSTRAINT "FK_tenant_memberships_tenant" FOREIGN KEY ("workspace_id", "tenant_id")
        REFERENCES "tenants"("workspace_id", "id") ON DELETE CASCADE)`);
    await q.query(`CREATE INDEX "IDX_tenant_memberships_user" ON "tenant_memberships" ("workspace_id", "user_id")`);

    await q.query(`CREATE TABLE "inbound_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
      "workspace_id" varchar(64) NOT NULL, "message_id" varchar(512) NOT NULL, "type" varchar(16) NOT NULL,
      "event_id" varchar(1100) NOT NULL, "user_id" varchar(512), "body" jsonb NOT NULL,
      "received_at" timestamptz NOT NULL DEFAULT now(), "state" varchar(16) NOT NULL DEFAULT 'received',
      "outcome" varchar(16), "run_ids" jsonb NOT NULL DEFAULT '[]'::jsonb, "error" text, "processed_at" timestamptz,
      "duplicate_count" integer NOT NULL DEFAULT 0, CONSTRAINT "PK_inbound_events" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_inbound_events_message" ON "inbound_events" ("workspace_id", "message_id")`);
    await q.query(`CREATE INDEX "IDX_inbound_events_workspace" ON "inbound_events" ("workspace_id", "id")`);
    await q.query(`CREATE INDEX "IDX_inbound_events_event" ON "inbound_events" ("workspace_id", "event_id", "id")`);

    await q.query(`CREATE TABLE "inbound_event_types" ("workspace_id" varchar(64) NOT NULL,
      "event_id" varchar(1100) NOT NULL, "type" varchar(16) NOT NULL, "count" bigint NOT NULL DEFAULT 0,
      "first_seen_at" timestamptz NOT NULL, "last_seen_at" timestamptz NOT NULL, "sample" jsonb NOT NULL,
      CONSTRAINT "PK_inbound_event_types" PRIMARY KEY ("workspace_id", "event_id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['inbound_event_types', 'inbound_events', 'tenant_memberships', 'tenants', 'profiles', 'api_keys', 'workspaces']) {
      await q.query(`DROP TABLE "${table}"`);
    }
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** Automation templates and versions, runs and their steps, waits, mappings, tombstones, throttles, idempotency. */
export class Automations1764500000000 implements MigrationInterface {
  name = 'Automations1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "automation_templates" (
      "workspace_id" varchar(64) NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "name" varchar(200) NOT NULL, "alias" varchar(200), "trigger_event_id" varchar(1100),
      "steps" jsonb NOT NULL DEFAULT '[]'::jsonb, "cancelation_token" varchar(1000), "recipient" varchar(1000),
      "published_version" integer, "published_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_automation_templates" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE UNIQUE INDEX "UQ_automation_templates_alias" ON "automation_templates" ("workspace_id", "alias") WHERE "alias" IS NOT NULL`);

    await q.query(`CREATE TABLE "automation_template_versions" (
      "workspace_id" varchar(64) NOT NULL, "template_id" uuid NOT NULL, "version" integer NOT NULL,
      "name" varchar(200) NOT NULL, "steps" jsonb NOT NULL, "cancelation_token" varchar(1000), "recipient" varchar(1000),
      "published_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_automation_template_versions" PRIMARY KEY ("workspace_id", "template_id", "version"),
      CONSTRAINT "FK_template_versions_template" FOREIGN KEY ("workspace_id", "template_id")
        REFERENCES "automation_templates"("workspace_id", "id") ON DELETE CASCADE)`);

    await q.query(`CREATE TABLE "automation_runs" (
      "workspace_id" varchar(64) NOT NULL, "id" uuid NOT NULL, "workflow_id" varchar(200) NOT NULL,
      "kind" varchar(16) NOT NULL, "template_id" uuid, "template_version" integer, "template_name" varchar(200),
      "sequence" varchar(100), "steps" jsonb NOT NULL DEFAULT '[]'::jsonb,
      "source" varchar(1200) NOT NULL, "recipient" varchar(512), "cancelation_token" varchar(1000),
      "singleton_key" varchar(700), "status" varchar(16) NOT NULL, "context" jsonb NOT NULL,
      "parent_run_id" uuid, "event_log_id" bigint, "error" text,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      "finished_at" timestamptz,
      CONSTRAINT "PK_automation_runs" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE INDEX "IDX_runs_created" ON "automation_runs" ("workspace_id", "created_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_runs_token" ON "automation_runs" ("workspace_id", "cancelation_token") WHERE "cancelation_token" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_runs_template" ON "automation_runs" ("workspace_id", "template_id", "created_at" DESC)`);
    // One active run per singleton key (e.g. upgrade-nudge per user): a second trigger is recorded and ignored.
    await q.query(`CREATE UNIQUE INDEX "UQ_runs_singleton_active" ON "automation_runs" ("workspace_id", "singleton_key")
      WHERE "singleton_key" IS NOT NULL AND "status" IN ('PROCESSING', 'WAITING')`);

    await q.query(`CREATE TABLE "automation_run_steps" (
      "workspace_id" varchar(64) NOT NULL, "run_id" uuid NOT NULL, "path" varchar(200) NOT NULL,
      "seq" integer NOT NULL, "action" varchar(32) NOT NULL, "status" varchar(16) NOT NULL,
      "started_at" timestamptz, "ended_at" timestamptz, "result" jsonb, "error" text, "message_id" varchar(200),
      CONSTRAINT "PK_automation_run_steps" PRIMARY KEY ("workspace_id", "run_id", "path"))`);

    await q.query(`CREATE TABLE "automation_run_waits" (
      "workspace_id" varchar(64) NOT NULL, "run_id" uuid NOT NULL, "path" varchar(200) NOT NULL,
      "workflow_id" varchar(200) NOT NULL, "recipient" varchar(512) NOT NULL, "event" varchar(1000) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_automation_run_waits" PRIMARY KEY ("workspace_id", "run_id", "path"))`);
    await q.query(`CREATE INDEX "IDX_run_waits_lookup" ON "automation_run_waits" ("workspace_id", "recipient", "event")`);

    await q.query(`CREATE TABLE "event_mappings" (
      "workspace_id" varchar(64) NOT NULL, "event_id" varchar(1100) NOT NULL, "target" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_event_mappings" PRIMARY KEY ("workspace_id", "event_id", "target"))`);

    await q.query(`CREATE TABLE "cancel_tombstones" (
      "workspace_id" varchar(64) NOT NULL, "token" varchar(1000) NOT NULL, "canceled_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_cancel_tombstones" PRIMARY KEY ("workspace_id", "token"))`);

    await q.query(`CREATE TABLE "throttle_decisions" (
      "workspace_id" varchar(64) NOT NULL, "throttle_key" varchar(1200) NOT NULL, "request_id" varchar(300) NOT NULL,
      "allowed" boolean NOT NULL, "at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_throttle_decisions" PRIMARY KEY ("workspace_id", "throttle_key", "request_id"))`);
    await q.query(`CREATE INDEX "IDX_throttle_window" ON "throttle_decisions" ("workspace_id", "throttle_key", "at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['throttle_decisions', 'cancel_tombstones', 'event_mappings', 'automation_run_waits', 'automation_run_steps', 'automation_runs', 'automation_template_versions', 'automation_templates']) {
      await q.query(`DROP TABLE "${t}"`);
    }
  }
}

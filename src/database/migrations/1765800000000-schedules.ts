import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedules: the definition of each (cron, RRULE or one-off `at`, its time zone, target and
 * data) as the source of truth for its Temporal Schedule, and what its last firing did.
 * `anchor_at` is what an RRULE without DTSTART counts from (the first PUT, to the minute).
 */
export class Schedules1765800000000 implements MigrationInterface {
  name = 'Schedules1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "schedules" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" varchar(200) NOT NULL, "kind" varchar(8) NOT NULL CHECK ("kind" IN ('cron', 'rrule', 'at')), "expression" text NOT NULL,
      "timezone" varchar(64) NOT NULL, "anchor_at" timestamptz NOT NULL, "target" jsonb NOT NULL, "data" jsonb NOT NULL DEFAULT '{}',
      "paused" boolean NOT NULL DEFAULT false,
      "last_run_at" timestamptz, "last_run_workflow_id" text, "last_run_status" varchar(16), "last_run_result" jsonb, "last_run_error" text,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_schedules" PRIMARY KEY ("workspace_id", "id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "schedules"`);
  }
}

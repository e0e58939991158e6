import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk replays of the event log: the filter, the events it covers (ids up to `upto_id` at the
 * start, at most `max_events`), the cursor its pages advance by compare-and-set, and progress.
 */
export class EventReplays1765950000000 implements MigrationInterface {
  name = 'EventReplays1765950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "event_replays" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" uuid NOT NULL, "filter" jsonb NOT NULL, "max_events" integer NOT NULL, "upto_id" bigint NOT NULL, "after_id" bigint NOT NULL DEFAULT 0,
      "total" integer NOT NULL, "processed" integer NOT NULL DEFAULT 0, "runs_started" integer NOT NULL DEFAULT 0,
      "problems" integer NOT NULL DEFAULT 0, "last_problem" text,
      "status" varchar(16) NOT NULL DEFAULT 'RUNNING' CHECK ("status" IN ('RUNNING', 'COMPLETED', 'CANCELED')),
      "workflow_id" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      "finished_at" timestamptz, CONSTRAINT "PK_event_replays" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE INDEX "IDX_event_replays_created" ON "event_replays" ("workspace_id", "created_at" DESC, "id" DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "event_replays"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Broadcasts (and /send to a list, pattern or audience, which is one): the definition and its
 * counters, and one row per recipient, taken when it starts, with when it is due and how it
 * ended — the books that make "each recipient exactly once" checkable after a crash.
 */
export class Broadcasts1765650000000 implements MigrationInterface {
  name = 'Broadcasts1765650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "broadcasts" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" varchar(200) NOT NULL, "kind" varchar(16) NOT NULL DEFAULT 'broadcast', "name" varchar(200),
      "source" jsonb NOT NULL, "target" jsonb NOT NULL, "data" jsonb NOT NULL DEFAULT '{}'::jsonb,
      "send_at" timestamptz, "send_at_local" varchar(32), "use_recipient_timezone" boolean NOT NULL DEFAULT false,
      "rate_per_second" integer, "status" varchar(16) NOT NULL DEFAULT 'DRAFT', "error" text,
      "materialized" boolean NOT NULL DEFAULT false,
      "targeted" integer NOT NULL DEFAULT 0, "sent" integer NOT NULL DEFAULT 0, "filtered" integer NOT NULL DEFAULT 0, "failed" integer NOT NULL DEFAULT 0,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      "started_at" timestamptz, "completed_at" timestamptz,
      CONSTRAINT "PK_broadcasts" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE INDEX "IDX_broadcasts_created" ON "broadcasts" ("workspace_id", "created_at", "id")`);
    await q.query(`CREATE TABLE "broadcast_recipients" ("workspace_id" varchar(64) NOT NULL, "broadcast_id" varchar(200) NOT NULL,
      "user_id" varchar(512) NOT NULL, "due_at" timestamptz NOT NULL, "state" varchar(16) NOT NULL DEFAULT 'pending',
      "released" boolean NOT NULL DEFAULT false, "attempts" smallint NOT NULL DEFAULT 0, "message_status" varchar(16),
      CONSTRAINT "PK_broadcast_recipients" PRIMARY KEY ("workspace_id", "broadcast_id", "user_id"),
      CONSTRAINT "FK_broadcast_recipients_broadcast" FOREIGN KEY ("workspace_id", "broadcast_id") REFERENCES "broadcasts"("workspace_id", "id") ON DELETE CASCADE)`);
    await q.query(`CREATE INDEX "IDX_broadcast_recipients_due" ON "broadcast_recipients" ("workspace_id", "broadcast_id", "due_at", "user_id") WHERE state = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "broadcast_recipients"`);
    await q.query(`DROP TABLE "broadcasts"`);
  }
}

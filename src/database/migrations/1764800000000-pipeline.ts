import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The batched pipeline (issue 10): ledger shards and a pending index for the dispatchers, run
 * rows as the source of truth (cursor, refs, start bookkeeping), waits matched in Postgres,
 * ledger-positioned cancel tombstones, leased channel deliveries, and /send requests kept in
 * the message row so workflows carry ids only.
 */
export class Pipeline1764800000000 implements MigrationInterface {
  name = 'Pipeline1764800000000';

  async up(q: QueryRunner): Promise<void> {
    // Rows from before have no shard: their own ingest workflows finish them.
    await q.query(`ALTER TABLE "inbound_events" ADD COLUMN "shard" smallint`);
    await q.query(`ALTER TABLE "inbound_events" ALTER COLUMN "state" SET DEFAULT 'accepted'`);
    await q.query(`CREATE INDEX "IDX_inbound_pending" ON "inbound_events" ("workspace_id", "shard", "id")
      WHERE "outcome" IS NULL AND "shard" IS NOT NULL`);

    await q.query(`ALTER TABLE "automation_runs"
      ADD COLUMN "started_at" timestamptz,
      ADD COLUMN "cursor" varchar(200),
      ADD COLUMN "seq" integer NOT NULL DEFAULT 0,
      ADD COLUMN "refs" jsonb NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN "wake_at" timestamptz`);
    // Rows written before were started by the code that wrote them (or retried by their client).
    await q.query(`UPDATE "automation_runs" SET "started_at" = "created_at"`);
    await q.query(`CREATE INDEX "IDX_runs_unstarted" ON "automation_runs" ("created_at")
      WHERE "started_at" IS NULL AND "status" IN ('PROCESSING', 'WAITING')`);
    await q.query(`CREATE INDEX "IDX_runs_active" ON "automation_runs" ("updated_at") WHERE "status" IN ('PROCESSING', 'WAITING')`);

    await q.query(`ALTER TABLE "automation_run_steps" ADD COLUMN "attempts" integer NOT NULL DEFAULT 0`);

    await q.query(`ALTER TABLE "automation_run_waits"
      ADD COLUMN "match" jsonb,
      ADD COLUMN "matched_event_id" bigint,
      ADD COLUMN "matched_at" timestamptz,
      ADD COLUMN "timeout_at" timestamptz`);
    await q.query(`CREATE INDEX "IDX_run_waits_matched" ON "automation_run_waits" ("matched_at") WHERE "matched_at" IS NOT NULL`);

    // A cancel wins over every event accepted before it: runs triggered by ledger rows up to the mark start canceled.
    await q.query(`ALTER TABLE "cancel_tombstones" ADD COLUMN "ledger_mark" bigint`);

    await q.query(`ALTER TABLE "channel_deliveries" ADD COLUMN "lease_owner" varchar(64), ADD COLUMN "lease_until" timestamptz`);

    await q.query(`ALTER TABLE "messages" ADD COLUMN "request" jsonb`);
    // How long each shard's dispatcher promises to keep polling the ledger (the API skips waking it meanwhile).
    await q.query(`CREATE TABLE "dispatch_shards" (
      "workspace_id" varchar(64) NOT NULL, "shard" smallint NOT NULL, "polling_until" timestamptz NOT NULL,
      CONSTRAINT "PK_dispatch_shards" PRIMARY KEY ("workspace_id", "shard"))`);
    await q.query(`ALTER TABLE "rudderstack_integrations" ADD COLUMN "polling_until" timestamptz`);
    // A /send to a tenant: the request its fan-out workflow reads (the workflow carries its id only).
    await q.query(`CREATE TABLE "send_requests" (
      "workspace_id" varchar(64) NOT NULL, "id" varchar(300) NOT NULL, "tenant_id" varchar(512) NOT NULL, "request" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_send_requests" PRIMARY KEY ("workspace_id", "id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rudderstack_integrations" DROP COLUMN "polling_until"`);
    await q.query(`DROP TABLE "dispatch_shards"`);
    await q.query(`DROP TABLE "send_requests"`);
    await q.query(`ALTER TABLE "messages" DROP COLUMN "request"`);
    await q.query(`ALTER TABLE "channel_deliveries" DROP COLUMN "lease_owner", DROP COLUMN "lease_until"`);
    await q.query(`ALTER TABLE "cancel_tombstones" DROP COLUMN "ledger_mark"`);
    await q.query(`DROP INDEX "IDX_run_waits_matched"`);
    await q.query(`ALTER TABLE "automation_run_waits" DROP COLUMN "match", DROP COLUMN "matched_event_id", DROP COLUMN "matched_at", DROP COLUMN "timeout_at"`);
    await q.query(`ALTER TABLE "automation_run_steps" DROP COLUMN "attempts"`);
    await q.query(`DROP INDEX "IDX_runs_active"`);
    await q.query(`DROP INDEX "IDX_runs_unstarted"`);
    await q.query(`ALTER TABLE "automation_runs" DROP COLUMN "started_at", DROP COLUMN "cursor", DROP COLUMN "seq", DROP COLUMN "refs", DROP COLUMN "wake_at"`);
    await q.query(`DROP INDEX "IDX_inbound_pending"`);
    await q.query(`ALTER TABLE "inbound_events" ALTER COLUMN "state" SET DEFAULT 'received'`);
    await q.query(`ALTER TABLE "inbound_events" DROP COLUMN "shard"`);
  }
}

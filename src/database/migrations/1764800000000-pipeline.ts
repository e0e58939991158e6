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
    // The reconciler looks at each active run (and queued message) now and then: when it last did.
    await q.query(`ALTER TABLE "automation_runs" ADD COLUMN "checked_at" timestamptz`);
    await q.query(`ALTER TABLE "messages" ADD COLUMN "checked_at" timestamptz`);
    // List filters served by indexes (status, recipient), in each list's order.
    // The log's status filter compares COALESCE(outcome, 'pending'): pending (a null outcome) is read in order too.
    await q.query(`CREATE INDEX "IDX_inbound_outcome" ON "inbound_events" ("workspace_id", (COALESCE("outcome", 'pending')), "id")`);
    // status=duplicate: the few rows with repeats, without walking the workspace.
    await q.query(`CREATE INDEX "IDX_inbound_duplicates" ON "inbound_events" ("workspace_id", "id") WHERE "duplicate_count" > 0`);
    // type=…: a rare type (group) is read in order instead of filtered out of the whole workspace.
    await q.query(`CREATE INDEX "IDX_inbound_type" ON "inbound_events" ("workspace_id", "type", "id")`);
    await q.query(`CREATE INDEX "IDX_runs_status" ON "automation_runs" ("workspace_id", "status", "created_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_runs_recipient" ON "automation_runs" ("workspace_id", "recipient", "created_at" DESC, "id" DESC)`);
    await q.query(`DROP INDEX "IDX_runs_template"`);
    await q.query(`CREATE INDEX "IDX_runs_template" ON "automation_runs" ("workspace_id", "template_id", "created_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_runs_sequence" ON "automation_runs" ("workspace_id", "sequence", "created_at" DESC, "id" DESC) WHERE "sequence" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_messages_status" ON "messages" ("workspace_id", "status", "enqueued_at" DESC, "id" DESC)`);
    await q.query(`DROP INDEX "IDX_messages_recipient"`);
    await q.query(`CREATE INDEX "IDX_messages_recipient" ON "messages" ("workspace_id", "recipient", "enqueued_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_messages_queued" ON "messages" ("enqueued_at") WHERE "status" = 'ENQUEUED' AND "workflow_id" IS NOT NULL`);
    // Retention: what the pruning job deletes by age.
    await q.query(`ALTER TABLE "inbound_events" ALTER COLUMN "body" DROP NOT NULL`);
    await q.query(`CREATE INDEX "IDX_inbound_received" ON "inbound_events" ("received_at") WHERE "body" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_runs_finished" ON "automation_runs" ("finished_at") WHERE "finished_at" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_messages_updated" ON "messages" ("updated_at")`);
    await q.query(`CREATE INDEX "IDX_outbound_sent" ON "outbound_events" ("sent_at") WHERE "sent_at" IS NOT NULL`);
    await q.query(`CREATE TABLE "maintenance_state" ("name" varchar(64) NOT NULL, "last_run_at" timestamptz NOT NULL, CONSTRAINT "PK_maintenance_state" PRIMARY KEY ("name"))`);
    // Inbound requests refused as not being RudderStack events at all (400), counted per workspace and reason.
    await q.query(`CREATE TABLE "inbound_rejections" (
      "workspace_id" varchar(64) NOT NULL, "reason" varchar(300) NOT NULL, "count" bigint NOT NULL DEFAULT 0,
      "first_at" timestamptz NOT NULL DEFAULT now(), "last_at" timestamptz NOT NULL DEFAULT now(), "sample" text,
      CONSTRAINT "PK_inbound_rejections" PRIMARY KEY ("workspace_id", "reason"))`);
    // Keys rotate with an overlap: several active keys, each with an optional expiry.
    await q.query(`ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamptz, ADD COLUMN "last_used_at" timestamptz`);
    // Outbound status: since when the oldest pending event waits on retries.
    await q.query(`ALTER TABLE "rudderstack_integrations" ADD COLUMN "retrying_since" timestamptz`);
    // A /send to a tenant: the request its fan-out workflow reads (the workflow carries its id only).
    await q.query(`CREATE TABLE "send_requests" (
      "workspace_id" varchar(64) NOT NULL, "id" varchar(300) NOT NULL, "tenant_id" varchar(512) NOT NULL, "request" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_send_requests" PRIMARY KEY ("workspace_id", "id"))`);
    // add-to-batch: each run's place in its batch, decided in Postgres (a retried join finds it; a lost collector loses nothing).
    await q.query(`CREATE TABLE "automation_batch_items" (
      "workspace_id" varchar(64) NOT NULL, "run_id" uuid NOT NULL, "path" varchar(200) NOT NULL, "batch_key" varchar(600) NOT NULL,
      "data" jsonb NOT NULL, "joined_at" timestamptz NOT NULL DEFAULT clock_timestamp(), "batch_id" uuid, "role" varchar(8), "leader_run_id" uuid,
      CONSTRAINT "PK_automation_batch_items" PRIMARY KEY ("workspace_id", "run_id", "path"))`);
    await q.query(`CREATE INDEX "IDX_batch_items_open" ON "automation_batch_items" ("workspace_id", "batch_key", "joined_at") WHERE "batch_id" IS NULL`);
    await q.query(`CREATE INDEX "IDX_batch_items_batch" ON "automation_batch_items" ("workspace_id", "batch_id", "joined_at") WHERE "batch_id" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "automation_batch_items"`);
    await q.query(`ALTER TABLE "rudderstack_integrations" DROP COLUMN "retrying_since"`);
    await q.query(`ALTER TABLE "api_keys" DROP COLUMN "expires_at", DROP COLUMN "last_used_at"`);
    await q.query(`DROP TABLE "inbound_rejections"`);
    await q.query(`DROP TABLE "maintenance_state"`);
    for (const index of ['IDX_outbound_sent', 'IDX_messages_updated', 'IDX_runs_finished', 'IDX_inbound_received', 'IDX_messages_queued', 'IDX_messages_status',
      'IDX_runs_sequence', 'IDX_runs_recipient', 'IDX_runs_status', 'IDX_inbound_type', 'IDX_inbound_duplicates', 'IDX_inbound_outcome', 'IDX_runs_template', 'IDX_messages_recipient']) await q.query(`DROP INDEX "${index}"`);
    await q.query(`CREATE INDEX "IDX_runs_template" ON "automation_runs" ("workspace_id", "template_id", "created_at" DESC)`);
    await q.query(`CREATE INDEX "IDX_messages_recipient" ON "messages" ("workspace_id", "recipient", "enqueued_at" DESC)`);
    await q.query(`UPDATE "inbound_events" SET "body" = '{}' WHERE "body" IS NULL`);
    await q.query(`ALTER TABLE "inbound_events" ALTER COLUMN "body" SET NOT NULL`);
    await q.query(`ALTER TABLE "messages" DROP COLUMN "checked_at"`);
    await q.query(`ALTER TABLE "automation_runs" DROP COLUMN "checked_at"`);
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

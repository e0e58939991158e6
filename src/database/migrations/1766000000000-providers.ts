import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Providers as configuration (sealed secrets, ranked per channel), each message's provider
 * attempts (the history, and how receipts find a message by the provider's id), the shared rate
 * limit slots, and where a channel delivery stands in its provider order.
 */
export class Providers1766000000000 implements MigrationInterface {
  name = 'Providers1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "providers" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" varchar(100) NOT NULL, "channel" varchar(16) NOT NULL, "provider" varchar(32) NOT NULL,
      "config" jsonb NOT NULL, "secrets_sealed" text, "priority" integer NOT NULL DEFAULT 100, "rate_limit" real,
      "max_attempts" integer NOT NULL DEFAULT 5, "failover_after_ms" integer NOT NULL DEFAULT 300000, "enabled" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_providers" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE INDEX "IDX_providers_channel" ON "providers" ("workspace_id", "channel", "priority", "id")`);

    await q.query(`CREATE TABLE "delivery_attempts" ("id" bigserial NOT NULL, "workspace_id" varchar(64) NOT NULL,
      "message_id" varchar(300) NOT NULL, "channel" varchar(32) NOT NULL, "provider_id" varchar(100) NOT NULL, "provider" varchar(32) NOT NULL,
      "state" varchar(16) NOT NULL, "status_code" integer, "response" text, "error" text, "provider_message_id" varchar(200),
      "started_at" timestamptz NOT NULL DEFAULT now(), "finished_at" timestamptz, CONSTRAINT "PK_delivery_attempts" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_delivery_attempts_message" ON "delivery_attempts" ("workspace_id", "message_id", "id")`);
    await q.query(`CREATE INDEX "IDX_delivery_attempts_provider_message" ON "delivery_attempts" ("workspace_id", "provider_id", "provider_message_id") WHERE "provider_message_id" IS NOT NULL`);

    // One row per rate-limited provider: the next free send slot, reserved by compare-and-set.
    await q.query(`CREATE TABLE "provider_rate_slots" ("workspace_id" varchar(64) NOT NULL, "provider_id" varchar(100) NOT NULL,
      "next_slot_at" timestamptz NOT NULL, CONSTRAINT "PK_provider_rate_slots" PRIMARY KEY ("workspace_id", "provider_id"))`);

    await q.query(`ALTER TABLE "channel_deliveries" ADD COLUMN "provider_index" integer NOT NULL DEFAULT 0,
      ADD COLUMN "provider_attempts" integer NOT NULL DEFAULT 0, ADD COLUMN "provider_since" timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "channel_deliveries" DROP COLUMN "provider_index", DROP COLUMN "provider_attempts", DROP COLUMN "provider_since"`);
    await q.query(`DROP TABLE "provider_rate_slots"`);
    await q.query(`DROP TABLE "delivery_attempts"`);
    await q.query(`DROP TABLE "providers"`);
  }
}

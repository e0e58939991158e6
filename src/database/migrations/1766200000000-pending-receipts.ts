import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery receipts that arrived before Herald recorded the provider's acceptance (a fast status
 * callback): kept until the acceptance applies them, pruned after a day.
 */
export class PendingReceipts1766200000000 implements MigrationInterface {
  name = 'PendingReceipts1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "pending_receipts" ("id" bigserial NOT NULL, "workspace_id" varchar(64) NOT NULL, "provider_id" varchar(100) NOT NULL,
      "provider_message_id" varchar(200), "message_id" varchar(300), "status" varchar(16) NOT NULL, "error" text,
      "received_at" timestamptz NOT NULL DEFAULT now(), CONSTRAINT "PK_pending_receipts" PRIMARY KEY ("id"),
      CONSTRAINT "CHK_pending_receipts_ref" CHECK ("provider_message_id" IS NOT NULL OR "message_id" IS NOT NULL))`);
    await q.query(`CREATE INDEX "IDX_pending_receipts_provider_message" ON "pending_receipts" ("workspace_id", "provider_id", "provider_message_id") WHERE "provider_message_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_pending_receipts_message" ON "pending_receipts" ("workspace_id", "provider_id", "message_id") WHERE "message_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_pending_receipts_received" ON "pending_receipts" ("received_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "pending_receipts"`);
  }
}

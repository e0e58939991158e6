import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Push tickets whose outcome the provider reports later (Expo's push receipts): one row per
 * accepted ticket until the maintenance sweep has read its receipt (or a day has passed).
 */
export class PushReceiptTickets1766300000000 implements MigrationInterface {
  name = 'PushReceiptTickets1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "push_receipt_tickets" ("workspace_id" varchar(64) NOT NULL, "provider_id" varchar(100) NOT NULL,
      "ticket_id" varchar(200) NOT NULL, "message_id" varchar(300) NOT NULL, "channel" varchar(32) NOT NULL, "user_id" varchar(300),
      "token" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_push_receipt_tickets" PRIMARY KEY ("workspace_id", "provider_id", "ticket_id"))`);
    await q.query(`CREATE INDEX "IDX_push_receipt_tickets_created" ON "push_receipt_tickets" ("created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "push_receipt_tickets"`);
  }
}

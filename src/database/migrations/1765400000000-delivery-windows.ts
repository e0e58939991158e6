import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery windows: a workspace's default time zone (for recipients whose profile names none)
 * and quiet hours (the window non-REQUIRED messages may go out in); a message's `scheduled_for`
 * (the instant a delay or quiet hours hold it until), so a held message shows why it waits.
 */
export class DeliveryWindows1765400000000 implements MigrationInterface {
  name = 'DeliveryWindows1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "workspaces" ADD COLUMN "default_timezone" varchar(64), ADD COLUMN "quiet_hours" varchar(500)`);
    await q.query(`ALTER TABLE "messages" ADD COLUMN "scheduled_for" timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "messages" DROP COLUMN "scheduled_for"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "default_timezone", DROP COLUMN "quiet_hours"`);
  }
}

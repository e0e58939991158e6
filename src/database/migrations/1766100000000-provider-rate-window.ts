import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rate limiter's sliding window: the last sends claimed per provider (checked right before a
 * request leaves, so a sender that woke late for its slot cannot bunch up with the next ones), and
 * the time each attempt's request left.
 */
export class ProviderRateWindow1766100000000 implements MigrationInterface {
  name = 'ProviderRateWindow1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "provider_rate_slots" ADD COLUMN "recent_sends" timestamptz[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "delivery_attempts" ADD COLUMN "sent_at" timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "delivery_attempts" DROP COLUMN "sent_at"`);
    await q.query(`ALTER TABLE "provider_rate_slots" DROP COLUMN "recent_sends"`);
  }
}

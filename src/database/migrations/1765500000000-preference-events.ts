import { MigrationInterface, QueryRunner } from 'typeorm';

/** Opt-in `Preference Updated` tracks to RudderStack (SPEC section 5 and 7), like journey events. */
export class PreferenceEvents1765500000000 implements MigrationInterface {
  name = 'PreferenceEvents1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rudderstack_integrations" ADD COLUMN "preference_events" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rudderstack_integrations" DROP COLUMN "preference_events"`);
  }
}

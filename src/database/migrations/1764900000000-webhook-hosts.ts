import { MigrationInterface, QueryRunner } from 'typeorm';

/** A workspace may restrict the hosts its webhooks (template or profile chosen) are sent to. */
export class WebhookHosts1764900000000 implements MigrationInterface {
  name = 'WebhookHosts1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "workspaces" ADD COLUMN "webhook_allowed_hosts" jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "webhook_allowed_hosts"`);
  }
}

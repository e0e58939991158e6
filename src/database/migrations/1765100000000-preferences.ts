import { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscription topics, user preferences per topic (Courier's shapes), a template's topic. */
export class Preferences1765100000000 implements MigrationInterface {
  name = 'Preferences1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "subscription_topics" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" varchar(200) NOT NULL, "name" varchar(200) NOT NULL, "default_status" varchar(16) NOT NULL, "allowed_channels" jsonb,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_subscription_topics" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE TABLE "user_preferences" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "user_id" varchar(512) NOT NULL, "topic_id" varchar(200) NOT NULL, "status" varchar(16) NOT NULL,
      "has_custom_routing" boolean NOT NULL DEFAULT false, "custom_routing" jsonb NOT NULL DEFAULT '[]'::jsonb,
      "source" varchar(32) NOT NULL, "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_user_preferences" PRIMARY KEY ("workspace_id", "user_id", "topic_id"))`);
    await q.query(`ALTER TABLE "notification_templates" ADD COLUMN "subscription_topic_id" varchar(200)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "notification_templates" DROP COLUMN "subscription_topic_id"`);
    await q.query(`DROP TABLE "user_preferences"`);
    await q.query(`DROP TABLE "subscription_topics"`);
  }
}

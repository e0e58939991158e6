import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every preference change with its source (api, link, page, mail, identify): the history the
 * Studio shows and an answer to "who unsubscribed this user, and how". Append-only.
 */
export class PreferenceChanges1765300000000 implements MigrationInterface {
  name = 'PreferenceChanges1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "preference_changes" ("id" bigserial PRIMARY KEY,
      "workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "user_id" varchar(512) NOT NULL, "topic_id" varchar(200) NOT NULL, "status" varchar(16) NOT NULL,
      "previous_status" varchar(16), "has_custom_routing" boolean NOT NULL DEFAULT false, "custom_routing" jsonb NOT NULL DEFAULT '[]'::jsonb,
      "source" varchar(16) NOT NULL, "changed_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "IDX_preference_changes_user" ON "preference_changes" ("workspace_id", "user_id", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "preference_changes"`);
  }
}

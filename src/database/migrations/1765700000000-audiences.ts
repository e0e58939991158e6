import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audiences (SPEC section 8): a filter over profiles and tenant membership, and its members,
 * kept current as profiles change. `version` counts filter changes: a recompute works for one
 * version and stops when a newer one supersedes it. `audience_members` is also a recipient
 * source for sends and broadcasts (`SELECT user_id FROM audience_members WHERE workspace_id = $1
 * AND audience_id = $2`); the (workspace_id, user_id) index serves the per-user refresh.
 */
export class Audiences1765700000000 implements MigrationInterface {
  name = 'Audiences1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audiences" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" varchar(200) NOT NULL, "name" varchar(200), "filter" jsonb NOT NULL, "version" integer NOT NULL DEFAULT 1,
      "status" varchar(16) NOT NULL DEFAULT 'COMPUTING', "progress_processed" bigint, "progress_total" bigint, "computed_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_audiences" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE TABLE "audience_members" ("workspace_id" varchar(64) NOT NULL, "audience_id" varchar(200) NOT NULL,
      "user_id" varchar(512) NOT NULL, "entered_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_audience_members" PRIMARY KEY ("workspace_id", "audience_id", "user_id"),
      CONSTRAINT "FK_audience_members_audience" FOREIGN KEY ("workspace_id", "audience_id") REFERENCES "audiences"("workspace_id", "id") ON DELETE CASCADE)`);
    await q.query(`CREATE INDEX "IDX_audience_members_user" ON "audience_members" ("workspace_id", "user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audience_members"`);
    await q.query(`DROP TABLE "audiences"`);
  }
}

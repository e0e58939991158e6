import { MigrationInterface, QueryRunner } from 'typeorm';

/** Email addresses a workspace no longer sends to (a hard bounce, or set by the API). */
export class Suppressions1765000000000 implements MigrationInterface {
  name = 'Suppressions1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "email_suppressions" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "email" varchar(254) NOT NULL, "reason" varchar(32) NOT NULL, "detail" text, "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_email_suppressions" PRIMARY KEY ("workspace_id", "email"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "email_suppressions"`);
  }
}

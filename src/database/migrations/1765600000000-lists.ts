import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lists in Courier's shape: named lists with dotted ids, and users subscribed to them. */
export class Lists1765600000000 implements MigrationInterface {
  name = 'Lists1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "lists" ("workspace_id" varchar(64) NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "id" varchar(200) NOT NULL, "name" varchar(200) NOT NULL, "preferences" jsonb,
      "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_lists" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE TABLE "list_subscriptions" ("workspace_id" varchar(64) NOT NULL, "list_id" varchar(200) NOT NULL,
      "user_id" varchar(512) NOT NULL, "preferences" jsonb, "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_list_subscriptions" PRIMARY KEY ("workspace_id", "list_id", "user_id"),
      CONSTRAINT "FK_list_subscriptions_list" FOREIGN KEY ("workspace_id", "list_id") REFERENCES "lists"("workspace_id", "id") ON DELETE CASCADE)`);
    await q.query(`CREATE INDEX "IDX_list_subscriptions_user" ON "list_subscriptions" ("workspace_id", "user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "list_subscriptions"`);
    await q.query(`DROP TABLE "lists"`);
  }
}

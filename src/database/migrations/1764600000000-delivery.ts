import { MigrationInterface, QueryRunner } from 'typeorm';

/** Notification templates, messages with their status history and per-channel attempts, the inbox, workspace secrets. */
export class Delivery1764600000000 implements MigrationInterface {
  name = 'Delivery1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "notification_templates" (
      "workspace_id" varchar(64) NOT NULL, "id" varchar(200) NOT NULL, "name" varchar(200) NOT NULL,
      "channels" jsonb NOT NULL, "routing" jsonb, "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_notification_templates" PRIMARY KEY ("workspace_id", "id"))`);

    await q.query(`CREATE TABLE "messages" (
      "workspace_id" varchar(64) NOT NULL, "id" varchar(300) NOT NULL, "request_id" varchar(300),
      "run_id" uuid, "recipient" varchar(512), "notification" varchar(200), "status" varchar(16) NOT NULL,
      "to" jsonb NOT NULL DEFAULT '{}'::jsonb, "routing" jsonb, "channels" jsonb NOT NULL DEFAULT '[]'::jsonb,
      "providers" jsonb NOT NULL DEFAULT '{}'::jsonb, "content" jsonb, "error" text, "reason" text,
      "workflow_id" varchar(400), "enqueued_at" timestamptz NOT NULL DEFAULT now(), "sent_at" timestamptz,
      "delivered_at" timestamptz, "opened_at" timestamptz, "clicked_at" timestamptz, "canceled_at" timestamptz,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_messages" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE INDEX "IDX_messages_enqueued" ON "messages" ("workspace_id", "enqueued_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_messages_recipient" ON "messages" ("workspace_id", "recipient", "enqueued_at" DESC)`);
    await q.query(`CREATE INDEX "IDX_messages_run" ON "messages" ("workspace_id", "run_id") WHERE "run_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_messages_request" ON "messages" ("workspace_id", "request_id") WHERE "request_id" IS NOT NULL`);

    await q.query(`CREATE TABLE "message_events" (
      "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "workspace_id" varchar(64) NOT NULL,
      "message_id" varchar(300) NOT NULL, "status" varchar(16) NOT NULL, "channel" varchar(32),
      "detail" jsonb, "at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_message_events" PRIMARY KEY ("id"))`);
    // Each status appears once in a message's history: a retried write cannot add it twice.
    await q.query(`CREATE UNIQUE INDEX "UQ_message_events_status" ON "message_events" ("workspace_id", "message_id", "status")`);

    await q.query(`CREATE TABLE "channel_deliveries" (
      "workspace_id" varchar(64) NOT NULL, "message_id" varchar(300) NOT NULL, "channel" varchar(32) NOT NULL,
      "state" varchar(16) NOT NULL, "attempts" integer NOT NULL DEFAULT 0, "provider" varchar(64),
      "provider_response" text, "error" text, "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_channel_deliveries" PRIMARY KEY ("workspace_id", "message_id", "channel"))`);

    await q.query(`CREATE TABLE "inbox_messages" (
      "workspace_id" varchar(64) NOT NULL, "id" varchar(300) NOT NULL, "user_id" varchar(512) NOT NULL,
      "title" text, "body" text, "action_url" text, "data" jsonb NOT NULL DEFAULT '{}'::jsonb,
      "created_at" timestamptz NOT NULL DEFAULT now(), "read_at" timestamptz, "opened_at" timestamptz, "clicked_at" timestamptz,
      CONSTRAINT "PK_inbox_messages" PRIMARY KEY ("workspace_id", "id"))`);
    await q.query(`CREATE INDEX "IDX_inbox_user" ON "inbox_messages" ("workspace_id", "user_id", "created_at" DESC)`);

    await q.query(`CREATE TABLE "workspace_secrets" (
      "workspace_id" varchar(64) NOT NULL, "kind" varchar(32) NOT NULL, "secret" text NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_workspace_secrets" PRIMARY KEY ("workspace_id", "kind"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['workspace_secrets', 'inbox_messages', 'channel_deliveries', 'message_events', 'messages', 'notification_templates']) {
      await q.query(`DROP TABLE "${t}"`);
    }
  }
}

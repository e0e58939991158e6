import { MigrationInterface, QueryRunner } from 'typeorm';

/** RudderStack outbound: the integration settings and the outbox the emitter workflow drains in order. */
export class Outbound1764700000000 implements MigrationInterface {
  name = 'Outbound1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "rudderstack_integrations" (
      "workspace_id" varchar(64) NOT NULL, "write_key_encrypted" text NOT NULL, "write_key_hint" varchar(16) NOT NULL,
      "data_plane_url" varchar(1000) NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "journey_events" boolean NOT NULL DEFAULT false,
      "status" varchar(16) NOT NULL DEFAULT 'ok', "last_error" text, "last_error_at" timestamptz, "last_success_at" timestamptz,
      "events_sent" bigint NOT NULL DEFAULT 0, "created_at" timestamptz NOT NULL DEFAULT now(), "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_rudderstack_integrations" PRIMARY KEY ("workspace_id"))`);
    await q.query(`CREATE TABLE "outbound_events" (
      "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "workspace_id" varchar(64) NOT NULL,
      "message_id" varchar(100) NOT NULL, "payload" jsonb NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(),
      "sent_at" timestamptz, CONSTRAINT "PK_outbound_events" PRIMARY KEY ("seq"))`);
    // One row per stable event id, kept after sending: a republished status change is never sent twice.
    await q.query(`CREATE UNIQUE INDEX "UQ_outbound_events_message" ON "outbound_events" ("workspace_id", "message_id")`);
    await q.query(`CREATE INDEX "IDX_outbound_events_pending" ON "outbound_events" ("workspace_id", "seq") WHERE "sent_at" IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['outbound_events', 'rudderstack_integrations']) await q.query(`DROP TABLE "${t}"`);
  }
}

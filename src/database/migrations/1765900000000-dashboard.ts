import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Studio dashboard's aggregates (issue 15): exact counts kept by triggers, never by scans.
 *
 * - `dashboard_deltas`: append-only, no index. Statement-level AFTER INSERT triggers (transition
 *   tables) on inbound_events, automation_runs, message_events and outbound_events append one row
 *   per (workspace, minute, series, key) a statement touched; row-level triggers with a WHEN
 *   clause (evaluated in C: no function call for the rows that do not match) catch run status
 *   changes and the outbox's drain. Nothing on a hot path updates a shared row, so triggers add
 *   no row-lock contention. A row with a NULL minute is a gauge change (active runs, pending
 *   outbound events).
 * - `dashboard_stats`: the fold (`DELETE FROM dashboard_deltas RETURNING` into an upsert that
 *   adds) keeps two grains: 60 s buckets for 3 hours (the hour view) and 1800 s buckets for 8 days
 *   (the day and week views, which then read 48 or 336 rows per key instead of 1,440 or 10,080).
 * - `dashboard_gauges`: current counts (runs PROCESSING/WAITING, outbound events pending).
 *
 * The funnel (series 'funnel', key sent | delivered | opened | clicked, template = the message's
 * notification): a message counts once in each stage it reached *or passed* (an opened email with
 * no delivery receipt is delivered), all in the minute it was sent (messages.sent_at, set with
 * its SENT status and never changed), so a window's stages are a cohort: of the messages sent in
 * it, how many were delivered, opened, clicked so far. Stages newly reached are those above the
 * message's highest earlier stage; the trigger locks the message row first so that two
 * transactions adding statuses to one message see each other's (the writer's own UPDATE of the
 * row has taken that lock already).
 *
 * The backfill runs in this transaction after the triggers exist: CREATE TRIGGER holds a SHARE ROW
 * EXCLUSIVE lock to commit, so every row is counted once, by the backfill or by a trigger.
 */
export class Dashboard1765900000000 implements MigrationInterface {
  name = 'Dashboard1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "dashboard_deltas" ("workspace_id" varchar(64) NOT NULL, "minute" timestamptz,
      "series" varchar(16) NOT NULL, "key" varchar(32) NOT NULL, "template" varchar(200) NOT NULL DEFAULT '', "n" bigint NOT NULL)
      WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_insert_threshold = 10000)`);
    await q.query(`CREATE TABLE "dashboard_stats" ("workspace_id" varchar(64) NOT NULL, "grain" integer NOT NULL, "bucket" timestamptz NOT NULL,
      "series" varchar(16) NOT NULL, "key" varchar(32) NOT NULL, "template" varchar(200) NOT NULL DEFAULT '', "n" bigint NOT NULL,
      CONSTRAINT "PK_dashboard_stats" PRIMARY KEY ("workspace_id", "grain", "bucket", "series", "key", "template"))`);
    await q.query(`CREATE TABLE "dashboard_gauges" ("workspace_id" varchar(64) NOT NULL, "series" varchar(16) NOT NULL, "key" varchar(32) NOT NULL,
      "n" bigint NOT NULL, CONSTRAINT "PK_dashboard_gauges" PRIMARY KEY ("workspace_id", "series", "key"))`);

    await q.query(`CREATE FUNCTION dashboard_funnel_stage(status text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT CASE status WHEN 'SENT' THEN 1 WHEN 'DELIVERED' THEN 2 WHEN 'OPENED' THEN 3 WHEN 'CLICKED' THEN 4 END $$`);

    await q.query(`CREATE FUNCTION dashboard_inbound_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
        SELECT workspace_id, date_trunc('minute', received_at), 'event', type, count(*) FROM new_rows GROUP BY 1, 2, 4;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER dashboard_inbound_inserted AFTER INSERT ON inbound_events
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_inbound_inserted()`);

    await q.query(`CREATE FUNCTION dashboard_runs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
        SELECT workspace_id, date_trunc('minute', created_at), 'run', 'started', count(*) FROM new_rows GROUP BY 1, 2
        UNION ALL
        SELECT workspace_id, date_trunc('minute', COALESCE(finished_at, created_at)), 'run', status, count(*) FROM new_rows
          WHERE status NOT IN ('PROCESSING', 'WAITING') GROUP BY 1, 2, 4
        UNION ALL
        SELECT workspace_id, NULL::timestamptz, 'active', status, count(*) FROM new_rows WHERE status IN ('PROCESSING', 'WAITING') GROUP BY 1, 4;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER dashboard_runs_inserted AFTER INSERT ON automation_runs
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_runs_inserted()`);
    await q.query(`CREATE FUNCTION dashboard_run_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n) VALUES (OLD.workspace_id, NULL, 'active', OLD.status, -1);
          RETURN NULL;
        END IF;
        INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
        SELECT NEW.workspace_id, NULL::timestamptz, 'active', OLD.status, -1 WHERE OLD.status IN ('PROCESSING', 'WAITING')
        UNION ALL
        SELECT NEW.workspace_id, NULL::timestamptz, 'active', NEW.status, 1 WHERE NEW.status IN ('PROCESSING', 'WAITING')
        UNION ALL
        SELECT NEW.workspace_id, date_trunc('minute', COALESCE(NEW.finished_at, now())), 'run', NEW.status, 1
          WHERE OLD.status IN ('PROCESSING', 'WAITING') AND NEW.status NOT IN ('PROCESSING', 'WAITING');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER dashboard_run_status_changed AFTER UPDATE ON automation_runs
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION dashboard_run_status_changed()`);
    await q.query(`CREATE TRIGGER dashboard_active_run_deleted AFTER DELETE ON automation_runs
      FOR EACH ROW WHEN (OLD.status IN ('PROCESSING', 'WAITING')) EXECUTE FUNCTION dashboard_run_status_changed()`);

    await q.query(`CREATE FUNCTION dashboard_message_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
        SELECT workspace_id, date_trunc('minute', at), 'message', status, count(*) FROM new_rows GROUP BY 1, 2, 4;
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE dashboard_funnel_stage(status) IS NOT NULL) THEN RETURN NULL; END IF;
        -- One transaction at a time adds funnel stages to a message, and (a statement later, so with
        -- a fresh snapshot) sees the statuses the one before it committed.
        -- (plpgsql caches these plans for the session whatever the size of new_rows: a LATERAL
        -- subquery with a locking clause or OFFSET 0 is never flattened into a join, so each stays a
        -- nested loop of primary-key lookups, right for one row and for a broadcast's thousands.)
        PERFORM 1 FROM (SELECT DISTINCT workspace_id, message_id FROM new_rows WHERE dashboard_funnel_stage(status) IS NOT NULL ORDER BY 1, 2) r
          CROSS JOIN LATERAL (SELECT 1 FROM messages m WHERE m.workspace_id = r.workspace_id AND m.id = r.message_id FOR NO KEY UPDATE) l;
        INSERT INTO dashboard_deltas (workspace_id, minute, series, key, template, n)
        WITH per AS (
          SELECT workspace_id, message_id, max(dashboard_funnel_stage(status)) AS reached, min(at) AS first_at, array_agg(id) AS ids
          FROM new_rows WHERE dashboard_funnel_stage(status) IS NOT NULL GROUP BY 1, 2),
        reach AS (
          SELECT per.workspace_id, m.notification, date_trunc('minute', COALESCE(m.sent_at, per.first_at)) AS minute, per.reached,
            COALESCE((SELECT max(dashboard_funnel_stage(e.status)) FROM message_events e
                      WHERE e.workspace_id = per.workspace_id AND e.message_id = per.message_id
                        AND e.status IN ('SENT', 'DELIVERED', 'OPENED', 'CLICKED') AND e.id <> ALL (per.ids)), 0) AS before
          FROM per CROSS JOIN LATERAL (SELECT m.notification, m.sent_at FROM messages m
                                       WHERE m.workspace_id = per.workspace_id AND m.id = per.message_id OFFSET 0) m
          WHERE m.notification IS NOT NULL)
        SELECT workspace_id, minute, 'funnel', (ARRAY['sent', 'delivered', 'opened', 'clicked'])[stage], notification, count(*)
        FROM reach CROSS JOIN LATERAL generate_series(before + 1, reached) AS stage
        GROUP BY 1, 2, 4, 5;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER dashboard_message_events_inserted AFTER INSERT ON message_events
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_message_events_inserted()`);

    await q.query(`CREATE FUNCTION dashboard_outbound_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
          SELECT workspace_id, NULL, 'outbound', 'pending', count(*) FROM new_rows WHERE sent_at IS NULL GROUP BY 1;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
          SELECT workspace_id, NULL, 'outbound', 'pending', -count(*) FROM old_rows WHERE sent_at IS NULL GROUP BY 1;
        ELSE
          INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
          SELECT n.workspace_id, NULL, 'outbound', 'pending', sum((n.sent_at IS NULL)::int - (o.sent_at IS NULL)::int)
          FROM new_rows n JOIN old_rows o ON o.seq = n.seq
          GROUP BY 1 HAVING sum((n.sent_at IS NULL)::int - (o.sent_at IS NULL)::int) <> 0;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER dashboard_outbound_inserted AFTER INSERT ON outbound_events
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_outbound_changed()`);
    await q.query(`CREATE TRIGGER dashboard_outbound_updated AFTER UPDATE ON outbound_events
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_outbound_changed()`);
    await q.query(`CREATE TRIGGER dashboard_outbound_deleted AFTER DELETE ON outbound_events
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dashboard_outbound_changed()`);

    await this.backfill(q);
  }

  /** What is already there, as deltas, folded like the ones the triggers write. */
  private async backfill(q: QueryRunner): Promise<void> {
    const since = `now() - interval '8 days'`;
    await q.query(`INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
      SELECT workspace_id, date_trunc('minute', received_at), 'event', type, count(*) FROM inbound_events WHERE received_at >= ${since} GROUP BY 1, 2, 4`);
    await q.query(`INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
      SELECT workspace_id, date_trunc('minute', created_at), 'run', 'started', count(*) FROM automation_runs WHERE created_at >= ${since} GROUP BY 1, 2
      UNION ALL
      SELECT workspace_id, date_trunc('minute', COALESCE(finished_at, created_at)), 'run', status, count(*) FROM automation_runs
        WHERE status NOT IN ('PROCESSING', 'WAITING') AND COALESCE(finished_at, created_at) >= ${since} GROUP BY 1, 2, 4
      UNION ALL
      SELECT workspace_id, NULL::timestamptz, 'active', status, count(*) FROM automation_runs WHERE status IN ('PROCESSING', 'WAITING') GROUP BY 1, 4`);
    await q.query(`INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
      SELECT workspace_id, date_trunc('minute', at), 'message', status, count(*) FROM message_events WHERE at >= ${since} GROUP BY 1, 2, 4`);
    await q.query(`INSERT INTO dashboard_deltas (workspace_id, minute, series, key, template, n)
      WITH per AS (
        SELECT e.workspace_id, e.message_id, max(dashboard_funnel_stage(e.status)) AS reached, min(e.at) AS first_at
        FROM message_events e WHERE e.status IN ('SENT', 'DELIVERED', 'OPENED', 'CLICKED') GROUP BY 1, 2),
      reach AS (
        SELECT per.workspace_id, m.notification, date_trunc('minute', COALESCE(m.sent_at, per.first_at)) AS minute, per.reached
        FROM per JOIN messages m ON m.workspace_id = per.workspace_id AND m.id = per.message_id
        WHERE m.notification IS NOT NULL AND COALESCE(m.sent_at, per.first_at) >= ${since})
      SELECT workspace_id, minute, 'funnel', (ARRAY['sent', 'delivered', 'opened', 'clicked'])[stage], notification, count(*)
      FROM reach CROSS JOIN LATERAL generate_series(1, reached) AS stage GROUP BY 1, 2, 4, 5`);
    await q.query(`INSERT INTO dashboard_deltas (workspace_id, minute, series, key, n)
      SELECT workspace_id, NULL, 'outbound', 'pending', count(*) FROM outbound_events WHERE sent_at IS NULL GROUP BY 1`);
    await q.query(FOLD_AT_MIGRATION);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [trigger, table] of [
      ['dashboard_inbound_inserted', 'inbound_events'], ['dashboard_runs_inserted', 'automation_runs'], ['dashboard_run_status_changed', 'automation_runs'],
      ['dashboard_active_run_deleted', 'automation_runs'], ['dashboard_message_events_inserted', 'message_events'],
      ['dashboard_outbound_inserted', 'outbound_events'], ['dashboard_outbound_updated', 'outbound_events'], ['dashboard_outbound_deleted', 'outbound_events'],
    ]) {
      await q.query(`DROP TRIGGER "${trigger}" ON "${table}"`);
    }
    for (const f of ['dashboard_inbound_inserted', 'dashboard_runs_inserted', 'dashboard_run_status_changed', 'dashboard_message_events_inserted', 'dashboard_outbound_changed']) {
      await q.query(`DROP FUNCTION "${f}"()`);
    }
    await q.query(`DROP FUNCTION dashboard_funnel_stage(text)`);
    for (const t of ['dashboard_gauges', 'dashboard_stats', 'dashboard_deltas']) await q.query(`DROP TABLE "${t}"`);
  }
}

/** The fold as it was when this migration was written (the live one is DashboardStatsRepository.fold). */
const FOLD_AT_MIGRATION = `WITH d AS (DELETE FROM dashboard_deltas RETURNING *),
  g AS (INSERT INTO dashboard_gauges AS t (workspace_id, series, key, n)
        SELECT workspace_id, series, key, sum(n) FROM d WHERE minute IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, series, key) DO UPDATE SET n = t.n + excluded.n)
  INSERT INTO dashboard_stats AS t (workspace_id, grain, bucket, series, key, template, n)
  SELECT d.workspace_id, gb.grain, gb.bucket, d.series, d.key, d.template, sum(d.n)
  FROM d CROSS JOIN LATERAL (VALUES (60, d.minute), (1800, date_bin(interval '30 minutes', d.minute, timestamptz 'epoch'))) AS gb(grain, bucket)
  WHERE d.minute IS NOT NULL AND gb.bucket >= now() - CASE gb.grain WHEN 60 THEN interval '3 hours' ELSE interval '8 days' END
  GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (workspace_id, grain, bucket, series, key, template) DO UPDATE SET n = t.n + excluded.n`;

import type { DataSource } from 'typeorm';
import { check, Ctx, goal, newWorkspace, Row } from '../common';
import { settings } from '../settings';

/**
 * 9. Dashboard: a workspace with BENCH_DASHBOARD_EVENTS inbound events and a fifth as many
 * messages (ENQUEUED → SENT → DELIVERED, 2.5 status rows each) spread over the last 6.9 days,
 * written by SQL through the dashboard's triggers; then GET /dashboard over HTTP for each window
 * (median of 20, each read folding first), and what the inbound trigger costs a ledger insert of
 * 1 and of 50 identify rows (ledgerInsertCost).
 */
export async function dashboardScenario(ctx: Ctx): Promise<Row[]> {
  const ws = await newWorkspace(ctx, 'dashboard');
  const n = settings.dashboardEvents;
  const messages = Math.floor(n / 5);
  const t = `now() - (i % 600000) * interval '1 second'`;
  const seeded = Date.now();
  await ctx.db.query(
    `INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, received_at, state, outcome)
     SELECT $1, 'd' || i, (ARRAY['identify', 'track', 'group'])[1 + i % 3], 'e', 'u' || (i % 10000), '{}'::jsonb, ${t}, 'processed', 'applied'
     FROM generate_series(1, ${n}) AS i`,
    [ws.id],
  );
  await ctx.db.query(
    `INSERT INTO messages (workspace_id, id, notification, status, enqueued_at, sent_at, updated_at)
     SELECT $1, 'dm' || i, 'tpl' || (i % 10), 'SENT', ${t}, ${t}, ${t} FROM generate_series(1, ${messages}) AS i`,
    [ws.id],
  );
  await ctx.db.query(
    `INSERT INTO message_events (workspace_id, message_id, status, at)
     SELECT $1, 'dm' || i, s, ${t} FROM generate_series(1, ${messages}) AS i, unnest(ARRAY['ENQUEUED', 'SENT', 'DELIVERED']) AS s
     WHERE s <> 'DELIVERED' OR i % 2 = 0`,
    [ws.id],
  );
  const seedSeconds = (Date.now() - seeded) / 1000;
  console.log(`    seeded ${n} events and ${messages} messages in ${seedSeconds.toFixed(1)} s`);

  const latency: Record<string, number> = {};
  for (const window of ['hour', 'day', 'week']) {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = process.hrtime.bigint();
      const res = await fetch(`${ctx.apiUrl}/dashboard?window=${window}`, { headers: { Authorization: `Bearer ${ws.key}` } });
      await res.json();
      if (res.status !== 200) throw new Error(`GET /dashboard: ${res.status}`);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    latency[window] = times.sort((a, b) => a - b)[10];
  }
  console.log(`    GET /dashboard median: ${Object.entries(latency).map(([w, ms]) => `${w} ${ms.toFixed(1)} ms`).join(', ')}`);

  const cost = await ledgerInsertCost(ctx.db, ws.id, [[1, 1000], [50, 200]]);
  const c = (rows: string) => `${rows}-row insert ${cost[rows].bare.toFixed(0)} → ${cost[rows].trigger.toFixed(0)} µs (+${(cost[rows].trigger - cost[rows].bare).toFixed(0)})`;
  console.log(`    inbound trigger: ${c('1')}; ${c('50')}`);
  return [
    {
      scenario: `9 dashboard: GET /dashboard at ${n} events`,
      herald: `median hour ${latency.hour.toFixed(1)} ms, day ${latency.day.toFixed(1)} ms, week ${latency.week.toFixed(1)} ms`,
      baseline: '-',
      ratio: '-',
      goal: goal('week < 100 ms', check(latency.week, (ms) => ms < 100)),
      detail: { workspace: ws.id, events: n, messages, seedSeconds, latency },
    },
    {
      scenario: '9 dashboard: inbound trigger on a ledger insert (inside Postgres)',
      herald: `${c('1')}; ${c('50')}`,
      baseline: 'the same inserts with the trigger disabled',
      ratio: `${(cost['1'].trigger / cost['1'].bare).toFixed(2)}× (1 row), ${(cost['50'].trigger / cost['50'].bare).toFixed(2)}× (50 rows)`,
      goal: '-',
      detail: { cost },
    },
  ];
}

/**
 * What the inbound trigger costs a ledger insert: `statements` inserts of `rows` identify rows
 * into inbound_events, timed inside Postgres (no round trips), with the trigger and with it
 * disabled, on the same table and indexes. Each measurement runs in a subtransaction that is
 * rolled back, so nothing stays (and no count is missed); while it runs, ALTER TABLE holds a lock
 * that makes other writers of inbound_events wait (a quiet database only: a bench or a test).
 */
export async function ledgerInsertCost(db: DataSource, workspaceId: string, sizes: Array<readonly [rows: number, statements: number]>) {
  await db.query(`CREATE OR REPLACE FUNCTION bench_ledger_insert(with_trigger boolean, ws text, statements int, per_statement int) RETURNS double precision LANGUAGE plpgsql AS $$
    DECLARE started timestamptz;
    BEGIN
      BEGIN
        IF NOT with_trigger THEN ALTER TABLE inbound_events DISABLE TRIGGER dashboard_inbound_inserted; END IF;
        started := clock_timestamp();
        FOR k IN 1..statements LOOP
          EXECUTE format($q$INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, state, shard)
            SELECT %L, %L || i, 'identify', 'identify', 'u' || i, '{"type":"identify","traits":{"plan":"pro"}}'::jsonb, 'accepted', 0
            FROM generate_series(1, %s) AS i$q$, ws, 'cost:' || with_trigger || ':' || k || ':', per_statement);
        END LOOP;
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = (extract(epoch FROM clock_timestamp() - started) * 1e6 / statements)::text;
      EXCEPTION WHEN raise_exception THEN
        RETURN SQLERRM::double precision;
      END;
    END $$`);
  const cost: Record<string, { bare: number; trigger: number }> = {};
  try {
    for (const [rows, statements] of sizes) {
      // Alternating rounds, so a neighbour's load falls on both sides alike.
      let bare = 0;
      let trigger = 0;
      for (let round = 0; round < 4; round++) {
        bare += (await db.query('SELECT bench_ledger_insert(false, $1, $2, $3) AS us', [workspaceId, statements / 4, rows]))[0].us / 4;
        trigger += (await db.query('SELECT bench_ledger_insert(true, $1, $2, $3) AS us', [workspaceId, statements / 4, rows]))[0].us / 4;
      }
      cost[`${rows}`] = { bare, trigger };
    }
  } finally {
    await db.query('DROP FUNCTION bench_ledger_insert(boolean, text, int, int)');
  }
  return cost;
}

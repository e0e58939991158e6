import { check, Ctx, goal, newWorkspace, Row } from '../common';
import { settings } from '../settings';

/**
 * 9. Dashboard: a workspace with BENCH_DASHBOARD_EVENTS inbound events and a fifth as many
 * messages (ENQUEUED → SENT → DELIVERED, 2.5 status rows each) spread over the last 6.9 days,
 * written by SQL through the dashboard's triggers; then GET /dashboard over HTTP for each window
 * (median of 20, each read folding first), and what the inbound trigger costs a ledger insert of
 * 1 and of 50 identify rows, timed inside Postgres against the same table without the trigger.
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

  await ctx.db.query('CREATE TABLE IF NOT EXISTS bench_bare_inbound_events (LIKE inbound_events INCLUDING ALL)');
  await ctx.db.query(`CREATE OR REPLACE FUNCTION bench_ledger_insert(tbl text, ws text, statements int, per_statement int) RETURNS double precision LANGUAGE plpgsql AS $$
    DECLARE started timestamptz := clock_timestamp();
    BEGIN
      FOR k IN 1..statements LOOP
        EXECUTE format($q$INSERT INTO %I (workspace_id, message_id, type, event_id, user_id, body, state, shard)
          SELECT %L, %L || k || ':' || i, 'identify', 'identify', 'u' || i, '{"type":"identify","traits":{"plan":"pro"}}'::jsonb, 'accepted', 0
          FROM generate_series(1, %s) AS i$q$, tbl, ws, 'cost' || per_statement || ':' || txid_current() || ':', per_statement);
      END LOOP;
      RETURN extract(epoch FROM clock_timestamp() - started) * 1e6 / statements;
    END $$`);
  const cost: Record<string, { bare: number; trigger: number }> = {};
  for (const [rows, statements] of [[1, 1000], [50, 200]] as const) {
    let bare = 0;
    let trigger = 0;
    for (let round = 0; round < 4; round++) {
      bare += (await ctx.db.query('SELECT bench_ledger_insert($1, $2, $3, $4) AS us', ['bench_bare_inbound_events', ws.id, statements / 4, rows]))[0].us / 4;
      trigger += (await ctx.db.query('SELECT bench_ledger_insert($1, $2, $3, $4) AS us', ['inbound_events', ws.id, statements / 4, rows]))[0].us / 4;
    }
    cost[`${rows}`] = { bare, trigger };
  }
  await ctx.db.query('DROP FUNCTION bench_ledger_insert(text, text, int, int)');
  await ctx.db.query('DROP TABLE bench_bare_inbound_events');
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
      baseline: 'same table without the trigger',
      ratio: `${(cost['1'].trigger / cost['1'].bare).toFixed(2)}× (1 row), ${(cost['50'].trigger / cost['50'].bare).toFixed(2)}× (50 rows)`,
      goal: '-',
      detail: { cost },
    },
  ];
}

import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ledgerInsertCost } from '../../bench/scenarios/dashboard';
import { DashboardStatsRepository } from '../../src/dashboard/dashboard-stats.repository';
import { dashboardRange, DASHBOARD_WINDOW_NAMES, DashboardRange } from '../../src/dashboard/dashboard-window';
import { DashboardService } from '../../src/dashboard/dashboard.service';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { Dashboard1765900000000 } from '../../src/database/migrations/1765900000000-dashboard';
import { readTestServers } from '../setup/test-env';

/**
 * The dashboard at size, in a database of its own: an installation with a million inbound events,
 * 200,000 messages (500,000 status rows), 50,000 runs and 20,000 outbound events is upgraded (the
 * migration backfills its buckets), gets more traffic through the triggers, and the dashboard
 * then (1) equals what the raw tables say, window by window, and (2) reads only the aggregate
 * tables by index: EXPLAIN shows no sequential scan of a raw table.
 */
const WS = 'ws-big';
const EVENTS = Number(process.env.DASHBOARD_SCALE_EVENTS ?? 1_000_000);
const MESSAGES = 200_000;
const RUNS = 50_000;
const OUTBOUND = 20_000;
const OTHER_WORKSPACES = 40;
const OTHER_EVENTS = 100_000;
const RAW_TABLES = ['inbound_events', 'messages', 'message_events', 'automation_runs', 'outbound_events'];
/** Spread over the last 6.9 days (inside the week view). */
const SPREAD_S = 600_000;

let admin: DataSource;
let db: DataSource;
let dbName: string;
let service: DashboardService;
let repo: DashboardStatsRepository;

const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  const value = await fn();
  console.log(`[dashboard-scale] ${what}: ${Date.now() - started} ms`);
  return value;
};

beforeAll(async () => {
  const servers = readTestServers();
  admin = new DataSource({ type: 'postgres', url: servers.databaseUrl });
  await admin.initialize();
  dbName = `herald_dash_${randomUUID().slice(0, 8)}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(servers.databaseUrl);
  url.pathname = `/${dbName}`;
  const options = dataSourceOptions({ url: url.toString(), poolSize: 4, ssl: false });
  const before = MIGRATIONS.filter((m) => m !== Dashboard1765900000000);
  // The installation before the upgrade.
  const old = new DataSource({ ...options, migrations: before, migrationsTransactionMode: 'each' } as typeof options);
  await old.initialize();
  await old.runMigrations();
  await timed(`seeded ${EVENTS} inbound events (and ${OTHER_EVENTS} in ${OTHER_WORKSPACES} other workspaces), ${MESSAGES} messages, ${RUNS} runs, ${OUTBOUND} outbound events`, () => seed(old));
  await old.destroy();
  db = new DataSource({ ...options, migrationsTransactionMode: 'each' } as typeof options);
  await db.initialize();
  await timed('dashboard migration (triggers and backfill)', () => db.runMigrations());
  repo = new DashboardStatsRepository(db);
  service = new DashboardService(repo);
}, 180_000);

afterAll(async () => {
  await db?.destroy();
  if (admin?.isInitialized) {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.destroy();
  }
});

async function seed(q: DataSource) {
  const t = `now() - (i % ${SPREAD_S}) * interval '1 second'`;
  await q.query(`INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, received_at, state, outcome, shard, processed_at)
    SELECT $1, 'm' || i, (ARRAY['identify', 'track', 'group', 'page'])[1 + i % 4], 'e' || (i % 4), 'u' || (i % 10000), '{}'::jsonb, ${t}, 'processed', 'applied', 0, ${t}
    FROM generate_series(1, ${EVENTS}) AS i`, [WS]);
  // Other workspaces' traffic all week, so the aggregate table is not one workspace's alone (then a scan of all of it is the right plan).
  await q.query(`INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, received_at, state, outcome)
    SELECT 'ws-other-' || (i % ${OTHER_WORKSPACES}), 's' || i, (ARRAY['identify', 'track'])[1 + i % 2], 'e', 'u', '{}'::jsonb, ${t}, 'processed', 'applied'
    FROM generate_series(1, ${OTHER_EVENTS}) AS i`);
  // i % 4: 0 enqueued only, 1 sent → delivered → opened, 2 sent → delivered, 3 sent.
  await q.query(`INSERT INTO messages (workspace_id, id, notification, status, enqueued_at, sent_at, delivered_at, opened_at, updated_at)
    SELECT $1, 'msg' || i, 'tpl' || (i % 20), (ARRAY['ENQUEUED', 'OPENED', 'DELIVERED', 'SENT'])[1 + i % 4], ${t},
      CASE WHEN i % 4 <> 0 THEN ${t} + interval '1 second' END, CASE WHEN i % 4 IN (1, 2) THEN ${t} + interval '2 seconds' END,
      CASE WHEN i % 4 = 1 THEN ${t} + interval '3 seconds' END, ${t}
    FROM generate_series(1, ${MESSAGES}) AS i`, [WS]);
  await q.query(`INSERT INTO message_events (workspace_id, message_id, status, at)
    SELECT $1, 'msg' || i, s.status, ${t} + s.k * interval '1 second'
    FROM generate_series(1, ${MESSAGES}) AS i
    CROSS JOIN LATERAL (VALUES ('ENQUEUED', 0), ('SENT', 1), ('DELIVERED', 2), ('OPENED', 3)) AS s(status, k)
    WHERE s.k = 0 OR (s.k = 1 AND i % 4 <> 0) OR (s.k = 2 AND i % 4 IN (1, 2)) OR (s.k = 3 AND i % 4 = 1)`, [WS]);
  await q.query(`INSERT INTO automation_runs (workspace_id, id, workflow_id, kind, source, status, context, created_at, started_at, finished_at)
    SELECT $1, gen_random_uuid(), 'run:' || i, 'adhoc', 'api', (ARRAY['PROCESSING', 'WAITING', 'PROCESSED', 'PROCESSED', 'ERROR'])[1 + i % 5], '{}'::jsonb,
      ${t}, ${t}, CASE WHEN i % 5 >= 2 THEN ${t} + interval '1 second' END
    FROM generate_series(1, ${RUNS}) AS i`, [WS]);
  await q.query(`INSERT INTO outbound_events (workspace_id, message_id, payload, created_at, sent_at)
    SELECT $1, 'o' || i, '{}'::jsonb, ${t}, CASE WHEN i % 2 = 0 THEN ${t} END FROM generate_series(1, ${OUTBOUND}) AS i`, [WS]);
}

/** The same figures counted from the raw tables (sequential scans: this is the slow way). */
async function truth(range: DashboardRange) {
  const w = [WS, new Date(range.fromMs), new Date(range.toMs)];
  const by = async (sql: string, params: unknown[] = w) =>
    Object.fromEntries(((await db.query(sql, params)) as Array<{ k: string; n: number }>).map((r) => [r.k, r.n]));
  const events = await by('SELECT type AS k, count(*)::int AS n FROM inbound_events WHERE workspace_id = $1 AND received_at >= $2 AND received_at < $3 GROUP BY 1');
  const runs = {
    ...(await by(`SELECT status AS k, count(*)::int AS n FROM automation_runs WHERE workspace_id = $1 AND finished_at >= $2 AND finished_at < $3 GROUP BY 1`)),
    ...(await by(`SELECT 'started' AS k, count(*)::int AS n FROM automation_runs WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3`)),
  };
  const active = await by(`SELECT status AS k, count(*)::int AS n FROM automation_runs WHERE workspace_id = $1 AND status IN ('PROCESSING', 'WAITING') GROUP BY 1`, [WS]);
  const messages = await by('SELECT status AS k, count(*)::int AS n FROM message_events WHERE workspace_id = $1 AND at >= $2 AND at < $3 GROUP BY 1');
  const funnel = (await db.query(
    `WITH per AS (SELECT m.notification, COALESCE(m.sent_at, min(e.at)) AS anchor, max(dashboard_funnel_stage(e.status)) AS reached
                  FROM message_events e JOIN messages m ON m.workspace_id = e.workspace_id AND m.id = e.message_id
                  WHERE e.workspace_id = $1 AND dashboard_funnel_stage(e.status) IS NOT NULL GROUP BY m.workspace_id, m.id)
     SELECT notification AS template, count(*)::int AS sent, count(*) FILTER (WHERE reached >= 2)::int AS delivered,
       count(*) FILTER (WHERE reached >= 3)::int AS opened, count(*) FILTER (WHERE reached >= 4)::int AS clicked
     FROM per WHERE anchor >= $2 AND anchor < $3 GROUP BY 1 ORDER BY 2 DESC, 1`,
    w,
  )) as Array<Record<string, number | string>>;
  const [{ pending }] = await db.query('SELECT count(*)::int AS pending FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL', [WS]);
  return { events, runs, active, messages, funnel, pending };
}

const nonZero = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, n]) => n !== 0));

async function expectExact() {
  const now = Date.now();
  for (const window of DASHBOARD_WINDOW_NAMES) {
    const d = await service.dashboard(WS, window, now);
    const t = await truth(dashboardRange(window, now));
    expect([window, nonZero(d.events.totals)]).toEqual([window, t.events]);
    expect([window, nonZero(d.runs.totals)]).toEqual([window, t.runs]);
    expect(nonZero(d.runs.active)).toEqual(t.active);
    expect([window, nonZero(d.messages.totals)]).toEqual([window, t.messages]);
    expect([window, d.funnel.map(({ template, sent, delivered, opened, clicked }) => ({ template, sent, delivered, opened, clicked }))]).toEqual([window, t.funnel]);
    expect(d.outbound.pending).toBe(t.pending);
  }
}

it('the migration backfilled exactly what the raw tables hold, for every window', async () => {
  await expectExact();
});

it('after more traffic through the triggers (bulk statements), still exact', async () => {
  await timed('100,000 identify events in one statement (with the trigger)', () =>
    db.query(`INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, state)
      SELECT $1, 'new' || i, 'identify', 'identify', 'u' || i, '{}'::jsonb, 'accepted' FROM generate_series(1, 100000) AS i`, [WS]));
  // The enqueued-only messages are sent now (sent_at with the status, as MessagesService does), in one statement each.
  await db.query(`UPDATE messages SET sent_at = now(), status = 'SENT' WHERE workspace_id = $1 AND status = 'ENQUEUED' AND id LIKE 'msg%0'`, [WS]);
  await timed('SENT for 10,000 messages in one statement (funnel path)', () =>
    db.query(`INSERT INTO message_events (workspace_id, message_id, status) SELECT workspace_id, id, 'SENT' FROM messages
      WHERE workspace_id = $1 AND status = 'SENT' AND sent_at > now() - interval '1 minute' ON CONFLICT DO NOTHING`, [WS]));
  // Some of the sent ones open (a later stage skipping DELIVERED counts as delivered too), one transaction each.
  const opened = (await db.query(`SELECT id FROM messages WHERE workspace_id = $1 AND id LIKE 'msg%3' ORDER BY id LIMIT 200`, [WS])) as Array<{ id: string }>;
  await timed('200 OPENED transitions, one statement each', async () => {
    for (const { id } of opened) {
      await db.query(`INSERT INTO message_events (workspace_id, message_id, status) VALUES ($1, $2, 'OPENED') ON CONFLICT DO NOTHING`, [WS, id]);
    }
  });
  await db.query(`UPDATE automation_runs SET status = 'CANCELED', finished_at = now() WHERE workspace_id = $1 AND status = 'WAITING'`, [WS]);
  await db.query(`UPDATE automation_runs SET status = 'WAITING' WHERE workspace_id = $1 AND status = 'PROCESSING' AND workflow_id LIKE '%7'`, [WS]);
  await db.query(`UPDATE outbound_events SET sent_at = now() WHERE workspace_id = $1 AND sent_at IS NULL AND seq % 3 = 0`, [WS]);
  await db.query(`DELETE FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL AND seq % 7 = 0`, [WS]);
  await expectExact();
}, 60_000);

it('reads only the aggregate tables, by index, and fast', async () => {
  // As autovacuum would have by now.
  await db.query('ANALYZE');
  const now = Date.now();
  for (const window of DASHBOARD_WINDOW_NAMES) {
    const queries = repo.queries(WS, dashboardRange(window, now), 50);
    for (const [name, q] of Object.entries(queries)) {
      const [{ 'QUERY PLAN': [plan] }] = await db.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.params);
      const nodes = flatten(plan.Plan);
      const seqOnRaw = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && RAW_TABLES.includes(n['Relation Name']));
      expect([window, name, seqOnRaw]).toEqual([window, name, []]);
      const scanned = nodes.filter((n) => /Scan$/.test(n['Node Type']) && n['Relation Name']).map((n) => `${n['Node Type']} on ${n['Relation Name']}`);
      // A bitmap heap scan is the index too (its Bitmap Index Scan child reads PK_dashboard_stats).
      if (name === 'series' || name === 'funnel') {
        expect([window, name, scanned]).toEqual([window, name, [expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Heap Scan) on dashboard_stats$/)]]);
        expect(nodes.some((n) => /Index/.test(n['Node Type']) && n['Index Name'] === 'PK_dashboard_stats')).toBe(true);
      }
      // (dashboard_gauges holds three rows per workspace: with two workspaces a sequential scan of it is the right plan.)
      if (name === 'gauges') expect(scanned).toEqual([expect.stringMatching(/ on dashboard_gauges$/)]);
      if (name === 'outbound') expect(scanned).toContainEqual(expect.stringMatching(/^Index (Only )?Scan on outbound_events$/));
    }
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = process.hrtime.bigint();
      await service.dashboard(WS, window);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`[dashboard-scale] GET /dashboard?window=${window} (fold + reads) at ${EVENTS} events: median ${times[5].toFixed(1)} ms, max ${times[9].toFixed(1)} ms`);
    expect(times[5]).toBeLessThan(250);
  }
});

it('what the trigger costs a ledger insert (identify)', async () => {
  const before = await service.dashboard(WS, 'hour');
  const cost = await ledgerInsertCost(db, WS, [[1, 400], [50, 100]]);
  const line = Object.entries(cost).map(([rows, c]) => `${rows}-row statement ${c.bare.toFixed(0)} µs with the trigger disabled, ${c.trigger.toFixed(0)} µs with it (+${(c.trigger - c.bare).toFixed(0)} µs)`);
  console.log(`[dashboard-scale] identify ledger insert, inside Postgres: ${line.join('; ')}`);
  for (const c of Object.values(cost)) expect(c.trigger).toBeGreaterThan(0);
  // The measurements were rolled back: nothing stays, the counts did not move, the trigger is on.
  expect((await service.dashboard(WS, 'hour')).events.totals).toEqual(before.events.totals);
  const [{ enabled }] = await db.query(`SELECT tgenabled = 'O' AS enabled FROM pg_trigger WHERE tgname = 'dashboard_inbound_inserted'`);
  expect(enabled).toBe(true);
});

type PlanNode = Record<string, any> & { Plans?: PlanNode[] };
const flatten = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(flatten)];

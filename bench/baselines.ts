import { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { Pool as PgPool } from 'pg';
import { mapWithConcurrency } from '../src/common/concurrency';
import { temporalConnectionOptions } from '../src/temporal/temporal-connection-options';
import { Ctx, fmt, identifyEvent, percentiles, Row, secondsSince } from './common';
import { settings } from './settings';

/**
 * Bare baselines, measured in the same run against the same servers at the same concurrency C
 * (BENCH_CONNECTIONS): what Temporal and Postgres can do on this machine with no Herald in between.
 */

/** client.workflow.start at concurrency C on a task queue no worker polls: only the start is measured. */
export async function bareStarts(ctx: Ctx): Promise<Row[]> {
  const n = settings.baselineWorkflows;
  const C = settings.connections;
  const queue = `bench-unpolled-${ctx.tag}`;
  const client = ctx.temporal.client;
  const latencies: number[] = [];
  const t0 = Date.now();
  const handles = await mapWithConcurrency(Array.from({ length: n }, (_, i) => i), C, async (i) => {
    const s = Date.now();
    const h = await client.workflow.start('bareNeverRuns', { taskQueue: queue, workflowId: `bench-start-${ctx.tag}-${i}` });
    latencies.push(Date.now() - s);
    return h;
  });
  const seconds = secondsSince(t0);
  const rate = n / seconds;
  ctx.baselines.startsPerSec = rate;
  const p = percentiles(latencies);
  console.log(`    ${n} starts in ${seconds.toFixed(1)} s: ${rate.toFixed(0)} starts/s, p50 ${p.p50} ms, p99 ${p.p99} ms; terminating them (not timed)…`);
  await mapWithConcurrency(handles, 32, (h) => h.terminate('bench baseline').catch(() => undefined));
  return [{ scenario: `bare Temporal workflow starts (C=${C})`, herald: '—', baseline: `${fmt(rate)} starts/s (p50 ${p.p50} ms, p99 ${p.p99} ms)`, ratio: '—', goal: '—', detail: { workflows: n, seconds, rate, ...p } }];
}

/**
 * Workflows with one no-op local activity, run by a bare Worker in the bench process on its own
 * task queue (same worker tuning as Herald's): started at concurrency C, measured from the first
 * start until the last result.
 */
/**
 * `again`: measured once more right before the scenario it is compared with, so both see the
 * same server state (the dev server's SQLite grows during a run, and its rate with it).
 */
export async function bareOneLocalActivity(ctx: Ctx, again?: string): Promise<Row[]> {
  const n = settings.baselineWorkflows;
  const C = settings.connections;
  const queue = `bench-bare-${ctx.tag}${again ? `-${again}` : ''}`;
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./baseline.workflows'), logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect(temporalConnectionOptions(ctx.config.temporal, ctx.herald.temporalAddress));
  const tuning = ctx.config.worker;
  const worker = await Worker.create({
    connection,
    namespace: ctx.config.temporal.namespace,
    taskQueue: queue,
    workflowBundle: bundle,
    activities: { noop: async () => undefined },
    maxCachedWorkflows: tuning.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTasks,
    maxConcurrentLocalActivityExecutions: tuning.maxConcurrentLocalActivities,
    maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivities,
  });
  const client = ctx.temporal.client;
  try {
    const { rate, seconds, history } = await worker.runUntil(async () => {
      // One warm-up workflow: the worker's first poll and the bundle's first load are not the baseline.
      await (await client.workflow.start('bareOneLocalActivity', { taskQueue: queue, workflowId: `${queue}-warmup` })).result();
      const t0 = Date.now();
      const handles: WorkflowHandle[] = await mapWithConcurrency(Array.from({ length: n }, (_, i) => i), C, (i) =>
        client.workflow.start('bareOneLocalActivity', { taskQueue: queue, workflowId: `${queue}-${i}` }),
      );
      await mapWithConcurrency(handles, C, (h) => h.result());
      const seconds = secondsSince(t0);
      const events = (await handles[0].fetchHistory()).events ?? [];
      return { rate: n / seconds, seconds, history: { events: events.length, workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length } };
    });
    ctx.baselines.oneLocalActivityPerSec = rate;
    ctx.baselines.oneLocalActivityHistory = history;
    console.log(`    ${n} workflows started and completed in ${seconds.toFixed(1)} s: ${rate.toFixed(1)}/s; history ${history.events} events, ${history.workflowTasks} workflow tasks`);
    return [{
      scenario: `bare Temporal workflows with one local activity (C=${C}, worker in the bench process)${again ? `, again ${again}` : ''}`,
      herald: '—',
      baseline: `${fmt(rate, 1)} workflows/s started and completed (${history.events} history events, ${history.workflowTasks} workflow tasks each)`,
      ratio: '—',
      goal: '—',
      detail: { workflows: n, seconds, rate, history },
    }];
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Single-row and 100-row inserts at concurrency C into a scratch table (jsonb body like an identify event). */
export async function barePostgres(ctx: Ctx): Promise<Row[]> {
  const C = settings.connections;
  const n = Math.max(100, Math.round(settings.baselineRows / 100) * 100);
  const table = `bench_scratch_${ctx.tag.replace(/[^a-z0-9]/gi, '_')}`.toLowerCase();
  const pool = new PgPool({ connectionString: ctx.herald.databaseUrl, max: C, ssl: ctx.config.database.ssl ? { rejectUnauthorized: false } : undefined });
  const body = (i: number) => JSON.stringify(identifyEvent(ctx.tag, i));
  try {
    await pool.query(`CREATE TABLE ${table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id text NOT NULL, body jsonb NOT NULL)`);
    await Promise.all(Array.from({ length: C }, () => pool.query('SELECT 1'))); // open all connections first

    let t0 = Date.now();
    await mapWithConcurrency(Array.from({ length: n }, (_, i) => i), C, (i) => pool.query(`INSERT INTO ${table} (message_id, body) VALUES ($1, $2)`, [`s-${i}`, body(i)]));
    const singleSeconds = secondsSince(t0);
    const single = n / singleSeconds;

    const values = Array.from({ length: 100 }, (_, j) => `($${2 * j + 1}, $${2 * j + 2})`).join(', ');
    t0 = Date.now();
    await mapWithConcurrency(Array.from({ length: n / 100 }, (_, b) => b), C, (b) =>
      pool.query(`INSERT INTO ${table} (message_id, body) VALUES ${values}`, Array.from({ length: 100 }, (_, j) => [`m-${b * 100 + j}`, body(b * 100 + j)]).flat()),
    );
    const multiSeconds = secondsSince(t0);
    const multi = n / multiSeconds;
    ctx.baselines.pgSingleRowsPerSec = single;
    ctx.baselines.pgMultiRowsPerSec = multi;
    const bodyBytes = Buffer.byteLength(body(0));
    console.log(`    ${n} single-row inserts: ${single.toFixed(0)} rows/s; ${n / 100} 100-row inserts: ${multi.toFixed(0)} rows/s (body ${bodyBytes} bytes)`);
    return [{
      scenario: `bare Postgres inserts (C=${C}, ${bodyBytes}-byte jsonb)`,
      herald: '—',
      baseline: `single-row ${fmt(single)} rows/s; 100-row statements ${fmt(multi)} rows/s`,
      ratio: '—',
      goal: '—',
      detail: { rows: n, singleSeconds, single, multiSeconds, multi, bodyBytes },
    }];
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end();
  }
}

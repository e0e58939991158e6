/**
 * `npm run bench`: what Herald's users feel (events accepted and processed, messages delivered,
 * latency, burst recovery, parked runs and their cancel, outbound events), each next to bare
 * Temporal / Postgres / RudderStack-SDK baselines measured in the same run, on the same servers,
 * at the same concurrency; with the CPU each process group used per scenario. Prints a table and
 * writes bench/results/<ISO time>.json (raw figures) and .md (the tables).
 *
 * Run it on a quiet machine (a neighbour's load moves the figures far more than ±10%):
 *   npm run bench                                   # embedded Postgres + Temporal dev server, 'start' mode in-process
 *   bash bench/cluster.sh start && eval "$(bash bench/cluster.sh env)" && BENCH_WORKERS=1 npm run bench
 *   eval "$(bash bench/cluster.sh env)" && BENCH_WORKERS=2 npm run bench   # API here + 2 `herald worker` processes
 *   bash bench/cluster.sh stop
 * With DATABASE_URL and TEMPORAL_ADDRESS set but no BENCH_WORKERS, 'start' mode runs in-process
 * against those servers. Each run uses a fresh task queue and fresh workspaces.
 *
 * Sizes (environment, defaults in brackets): BENCH_SECONDS [20] (identify and sustained streams),
 * BENCH_CONNECTIONS [16] (concurrency C of streams and baselines), BENCH_BURST [20000],
 * BENCH_BURST_CONNECTIONS [4], BENCH_RUNS [10000] (parked runs), BENCH_OUTBOUND_EVENTS [2000],
 * BENCH_WORKERS [0], BENCH_BASELINE_WORKFLOWS [1000], BENCH_BASELINE_ROWS [5000],
 * BENCH_LATENCY_SECONDS [15], BENCH_STALL_SECONDS [90] / BENCH_MAX_WAIT_SECONDS [1800] (when a
 * wait gives up: the scenario is then reported as TIMEOUT), BENCH_LABEL (suffix of the result
 * files, e.g. "smoke"). Herald's own settings (INBOUND_*, HERALD_WORKER_*, DATABASE_POOL_SIZE
 * [40 here], HERALD_OUTBOUND_*) pass through to Herald and to the worker processes.
 * A smoke run: BENCH_SECONDS=3 BENCH_BURST=500 BENCH_RUNS=200 BENCH_OUTBOUND_EVENTS=300 BENCH_LABEL=smoke npm run bench
 */
import 'reflect-metadata';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { TemporalClientService } from '../src/temporal/temporal-client.service';
import { bareOneLocalActivity, barePostgres, bareStarts } from './baselines';
import { Ctx, failedRow, Row } from './common';
import { cpuSince, cpuSnapshot } from './procs';
import { CpuRow, cpuTable, resultTable, writeResults } from './report';
import { broadcastScenario } from './scenarios/broadcast';
import { audiencesScenario } from './scenarios/audiences';
import { burstScenario } from './scenarios/burst';
import { dashboardScenario } from './scenarios/dashboard';
import { costScenario } from './scenarios/cost';
import { identifyScenario } from './scenarios/identify';
import { latencyScenario, sustainedScenario } from './scenarios/mapped';
import { outboundScenario } from './scenarios/outbound';
import { parkedScenario } from './scenarios/parked';
import { settings } from './settings';
import { startSink } from './sink';
import { startTopology } from './topology';

async function main() {
  const started = new Date();
  const tag = started.getTime().toString(36);
  const cores = os.cpus().length;
  const cpuModel = os.cpus()[0]?.model ?? '?';
  const loadAtStart = os.loadavg();
  console.log(`Herald bench ${tag}: ${cores} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  const sink = await startSink();
  const topology = await startTopology(tag);
  console.log(`topology: ${topology.description}`);
  for (const [name, p] of Object.entries(topology.processes)) console.log(`  ${name}: ${p}`);

  const { herald } = topology;
  const ctx: Ctx = {
    herald,
    config: topology.config,
    apiUrl: herald.apiUrl!,
    db: herald.app.get(DataSource),
    temporal: herald.app.get(TemporalClientService),
    sink,
    tag,
    watched: topology.watched,
    inProcessWorker: topology.inProcessWorker,
    loadgenCpuSeconds: 0,
    baselines: { startsPerSec: NaN, oneLocalActivityPerSec: NaN, oneLocalActivityHistory: { events: NaN, workflowTasks: NaN }, pgSingleRowsPerSec: NaN, pgMultiRowsPerSec: NaN },
    shared: {},
  };
  const versions = await serverVersions(ctx);
  console.log(`  Temporal server ${versions.temporal}; ${versions.postgres}`);

  const rows: Row[] = [];
  const cpu: CpuRow[] = [];
  const step = async (name: string, fn: () => Promise<Row[]>) => {
    // BENCH_ONLY=2a,2b runs only the scenarios whose names start with one of those (baselines always run).
    if (settings.only.length && !name.startsWith('baseline') && !settings.only.some((o) => name.startsWith(o))) return;
    console.log(`\n[${name}]`);
    const before = cpuSnapshot(ctx.watched);
    const loadgenBefore = ctx.loadgenCpuSeconds;
    try {
      rows.push(...(await fn()));
    } catch (err) {
      console.log(`    FAILED: ${(err as Error).stack ?? err}`);
      rows.push(failedRow(name, err));
    }
    const use = cpuSince(before, ctx.watched);
    cpu.push({ scenario: name, ...use, loadgen: Math.round((ctx.loadgenCpuSeconds - loadgenBefore) * 100) / 100 });
    console.log(`    cpu: Temporal ${use.temporal} s, Postgres ${use.postgres} s, bench ${use.bench} s${ctx.watched.workers.length ? `, workers ${use.workers} s` : ''} over ${use.wallSeconds} s`);
  };

  try {
    await step(`baseline: bare Temporal starts (${settings.baselineWorkflows})`, () => bareStarts(ctx));
    await step(`baseline: bare one-local-activity workflows (${settings.baselineWorkflows})`, () => bareOneLocalActivity(ctx));
    await step(`baseline: bare Postgres inserts (${settings.baselineRows} rows each)`, () => barePostgres(ctx));
    await step('1 identify stream', () => identifyScenario(ctx));
    if (!settings.only.length || settings.only.some((o) => '2a'.startsWith(o) || o.startsWith('2'))) {
      await step('baseline: bare one-local-activity workflows, again before 2a', () => bareOneLocalActivity(ctx, 'before-2a'));
    }
    await step('2a mapped track, sustained', () => sustainedScenario(ctx));
    await step('2b latency at 50%', () => latencyScenario(ctx, 0.5));
    await step('2b latency at 80%', () => latencyScenario(ctx, 0.8));
    await step(`3 burst (${settings.burst})`, () => burstScenario(ctx));
    await step(`4 parked runs (${settings.runs})`, () => parkedScenario(ctx));
    await step(`5 outbound (${settings.outboundEvents})`, () => outboundScenario(ctx));
    await step('6 Temporal cost (history events)', () => costScenario(ctx));
    await step(`7 broadcast (${settings.broadcast})`, () => broadcastScenario(ctx));
    await step('8 audiences: identify with 10 audiences', () => audiencesScenario(ctx));
    await step(`9 dashboard (${settings.dashboardEvents} events)`, () => dashboardScenario(ctx));
  } finally {
    console.log('\nstopping…');
    await topology.stop().catch((err) => console.log(`stop: ${(err as Error).message}`));
    await sink.close();
  }

  const withWorkers = ctx.watched.workers.length > 0;
  const header = [
    `# Herald bench ${started.toISOString()}${settings.label ? ` (${settings.label})` : ''}`,
    '',
    `- topology: ${topology.description}`,
    `- machine: ${cores} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- servers: Temporal ${versions.temporal}; ${versions.postgres}`,
    `- sizes: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `- Herald: shards ${topology.config.inbound.shards}, batch ${topology.config.inbound.batchSize}, max backlog ${topology.config.inbound.maxBacklog}, worker ${JSON.stringify(topology.config.worker)}, pool ${topology.config.database.poolSize}, outbound ${JSON.stringify(topology.config.outbound)}`,
  ].join('\n');
  const table = resultTable(rows);
  const cpuMd = cpuTable(cpu, cores, withWorkers);
  const note = `CPU: seconds per scenario (share of one core over its wall time); "bench process" is ${topology.inProcessWorker ? 'Herald (API + worker)' : 'the API (and the bare baseline worker)'} plus the bench's pollers and the senders of scenarios 2–5; the identify stream's autocannon is a child process ("load generator"); "other processes" is the rest of the machine (a busy neighbour shows there); "all / capacity" counts everything.${topology.kind === 'embedded' ? '' : ' On the cluster, Postgres also holds Temporal\'s persistence.'}`;
  console.log(`\n${table}\n\n${cpuMd}\n\n${note}`);
  const files = writeResults(started, settings.label, {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    tag,
    topology: { kind: topology.kind, description: topology.description, taskQueue: topology.taskQueue, processes: topology.processes },
    machine: { cores, cpu: cpuModel, memoryGiB: os.totalmem() / 2 ** 30, node: process.version, loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg(), platform: `${os.platform()} ${os.release()}` },
    servers: versions,
    settings,
    herald: { inbound: topology.config.inbound, worker: topology.config.worker, databasePoolSize: topology.config.database.poolSize, outbound: topology.config.outbound, retryAfterSeconds: topology.config.retryAfterSeconds },
    baselines: ctx.baselines,
    rows,
    cpu,
  }, `${header}\n\n${table}\n\n${cpuMd}\n\n${note}\n`);
  console.log(`\nwritten to ${files.map((f) => path.relative(process.cwd(), f)).join(' and ')}`);
}

async function serverVersions(ctx: Ctx): Promise<{ temporal: string; postgres: string }> {
  const temporal = await ctx.temporal.connection.workflowService.getSystemInfo({}).then((r) => r.serverVersion || '?', () => '?');
  const postgres = await ctx.db.query('SELECT version() AS v').then((r: Array<{ v: string }>) => r[0].v.split(' on ')[0], () => 'Postgres ?');
  return { temporal, postgres };
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

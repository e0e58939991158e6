import { randomBytes } from 'node:crypto';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runHerald, RunningHerald } from '../src/bootstrap/runtime';
import { createRootLogger } from '../src/common/logging';
import { HeraldConfig, loadConfig } from '../src/config/herald-config';
import { mapWithConcurrency } from '../src/common/concurrency';
import { TemporalClientService } from '../src/temporal/temporal-client.service';
import { WorkerHostService } from '../src/temporal/worker-host.service';
import { commandLine, listenerPid, rssMb, Watched } from './procs';
import { settings } from './settings';

/**
 * The three ways the bench runs Herald:
 * - embedded: nothing configured; embedded Postgres + Temporal dev server, Herald in 'start'
 *   mode in the bench process (like `npm start`);
 * - external, in-process: DATABASE_URL and TEMPORAL_ADDRESS set, 'start' mode in the bench process;
 * - external, N workers: BENCH_WORKERS=N, the API in the bench process ('api' mode) and N
 *   `node dist/src/main.js worker` children with the same environment and a fresh task queue.
 */
export interface Topology {
  kind: 'embedded' | 'external' | 'external-workers';
  description: string;
  herald: RunningHerald;
  config: HeraldConfig;
  taskQueue: string;
  watched: Watched;
  /** Herald's worker runs in the bench process. */
  inProcessWorker: boolean;
  workerPids: number[];
  /** Facts for the report: pids and command lines of what is watched. */
  processes: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTopology(tag: string): Promise<Topology> {
  const external = Boolean(process.env.DATABASE_URL && process.env.TEMPORAL_ADDRESS);
  const workerCount = Math.floor(settings.workers);
  if (workerCount > 0 && !external) {
    console.log(`BENCH_WORKERS=${workerCount} is ignored: worker processes need DATABASE_URL and TEMPORAL_ADDRESS (e.g. eval "$(bash bench/cluster.sh env)")`);
  }
  const multi = external && workerCount > 0;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const taskQueue = `bench-${tag}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HERALD_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    HERALD_POSTGRES_PORT: String(await freePort()),
    HERALD_TEMPORAL_PORT: String(await freePort()),
    HERALD_TEMPORAL_UI_PORT: String(await freePort()),
    HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '40',
    TEMPORAL_TASK_QUEUE: taskQueue,
    // The API in this process and the worker processes must seal with one key.
    HERALD_SEALING_KEY: process.env.HERALD_SEALING_KEY ?? `bench-sealing-key-${randomBytes(24).toString('base64url')}`,
  };
  const config = loadConfig(env);
  const herald = await runHerald(multi ? 'api' : 'start', config, createRootLogger(config.logLevel));
  const children: ChildProcess[] = [];
  const stopChildren = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
  };
  try {
    if (multi) {
      // The API (in this process) ran the migrations; the workers find nothing to apply.
      const main = path.resolve(__dirname, '../src/main.js');
      for (let i = 0; i < workerCount; i++) children.push(await startWorker(main, env, i + 1));
    }
  } catch (err) {
    await stopChildren();
    await herald.stop();
    throw err;
  }
  const killOnExit = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('exit', killOnExit);

  const temporalPort = Number(herald.temporalAddress.split(':').pop());
  const pgPort = Number(new URL(herald.databaseUrl).port || 5432);
  const isLocal = (host: string) => ['127.0.0.1', 'localhost', '::1'].includes(host);
  const temporal = isLocal(herald.temporalAddress.split(':')[0]) ? listenerPid(temporalPort) : undefined;
  const postgres = isLocal(new URL(herald.databaseUrl).hostname) ? listenerPid(pgPort) : undefined;
  const watched: Watched = { temporal, postgres, bench: process.pid, workers: children.map((c) => c.pid!) };
  const processes: Record<string, string> = {
    bench: `${process.pid} ${commandLine(process.pid)}`,
    temporal: temporal ? `${temporal} ${commandLine(temporal)}` : `not found (listener of ${herald.temporalAddress} is not a local process this user can see)`,
    postgres: postgres ? `${postgres} ${commandLine(postgres)} (postmaster; its backends are counted with it)` : `not found (listener of port ${pgPort})`,
  };
  children.forEach((c, i) => (processes[`worker${i + 1}`] = `${c.pid} ${commandLine(c.pid!)}`));

  const where = `Postgres ${config.database.url ? 'external' : 'embedded'} (${redact(herald.databaseUrl)}), Temporal ${config.temporal.address ? 'external' : 'embedded dev server'} (${herald.temporalAddress})`;
  const description = multi
    ? `API in the bench process + ${workerCount} \`herald worker\` process(es); ${where}; task queue ${taskQueue}`
    : `Herald 'start' mode (API + worker) in the bench process; ${where}; task queue ${taskQueue}`;
  return {
    kind: multi ? 'external-workers' : external ? 'external' : 'embedded',
    description,
    herald,
    config,
    taskQueue,
    watched,
    inProcessWorker: !multi,
    workerPids: watched.workers,
    processes,
    stop: async () => {
      // A fresh task queue per run: on a cluster its maintenance schedule and its idle dispatchers
      // and emitters would outlive the run (Running forever on a queue nobody polls).
      if (external) {
        await herald.app.get(WorkerHostService).removeMaintenanceSchedule().catch(() => undefined);
        await terminateLeftovers(herald, taskQueue).catch((err) => console.log(`  could not terminate this run's workflows: ${(err as Error).message}`));
      }
      await stopChildren();
      process.removeListener('exit', killOnExit);
      await herald.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Worker RSS while runs are parked: each child's VmRSS. */
export function workerRss(pids: number[]) {
  return pids.map((pid) => ({ pid, rssMb: rssMb(pid) }));
}

function startWorker(main: string, env: NodeJS.ProcessEnv, n: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let up = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${n} was not up after 120 s`));
    }, 120_000);
    const onLine = (line: string) => {
      if (!up && /Herald \(worker\) is up/.test(line)) {
        up = true;
        clearTimeout(timer);
        console.log(`  worker ${n} up (pid ${child.pid})`);
        resolve(child);
      } else if (up && line.trim() && !/^\s+(Temporal|Email|Postgres|API|Studio|OpenAPI|Inbound):/.test(line)) {
        process.stderr.write(`  [worker ${n}] ${line}\n`);
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = '';
      stream.on('data', (b: Buffer) => {
        buf += b.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    child.once('exit', (code, signal) => {
      if (!up) {
        clearTimeout(timer);
        reject(new Error(`worker ${n} exited during start (code ${code}, signal ${signal})`));
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Terminates what is still running on the run's task queue (idle dispatchers, emitters). */
async function terminateLeftovers(herald: RunningHerald, taskQueue: string): Promise<void> {
  const client = herald.app.get(TemporalClientService).client;
  const ids: Array<{ workflowId: string; runId: string }> = [];
  for await (const w of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) ids.push({ workflowId: w.workflowId, runId: w.runId });
  await mapWithConcurrency(ids, 16, (w) => client.workflow.getHandle(w.workflowId, w.runId).terminate('bench run over').catch(() => undefined));
  if (ids.length) console.log(`  terminated ${ids.length} idle workflow(s) left on ${taskQueue}`);
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

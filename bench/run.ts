import 'reflect-metadata';
import Analytics from '@rudderstack/rudder-sdk-node';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { runHerald, RunningHerald } from '../src/bootstrap/runtime';
import { createRootLogger } from '../src/common/logging';
import { mapWithConcurrency } from '../src/common/concurrency';
import { loadConfig } from '../src/config/herald-config';
import { messageEvent } from '../src/outbox/outbound-event';
import { OutboxService } from '../src/outbox/outbox.service';
import { MessagesService } from '../src/messages/messages.service';
import { TemporalClientService } from '../src/temporal/temporal-client.service';
import { WorkspacesService } from '../src/workspaces/workspaces.service';
import { startSink } from './sink';

/**
 * `npm run bench`: Herald's speed against baselines measured in the same run, on the embedded
 * stack (or DATABASE_URL / TEMPORAL_ADDRESS). Prints a table and writes bench/results/<time>.json.
 * Sizes: BENCH_SECONDS (ingest scenarios, default 20), BENCH_CONNECTIONS (default 16),
 * BENCH_E2E_RATE (events/s, default 20), BENCH_RUNS (parked runs, default 10000),
 * BENCH_OUTBOUND_EVENTS (default 2000).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const E2E_RATE = Number(process.env.BENCH_E2E_RATE ?? 20);
const PARKED_RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const OUTBOUND_EVENTS = Number(process.env.BENCH_OUTBOUND_EVENTS ?? 2000);

interface Row {
  scenario: string;
  herald: string;
  baseline: string;
  ratio: string;
  detail: Record<string, number | string>;
}

async function main() {
  const started = new Date();
  const external = Boolean(process.env.DATABASE_URL && process.env.TEMPORAL_ADDRESS);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const sink = await startSink();
  const config = loadConfig({
    ...process.env,
    HERALD_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    HERALD_POSTGRES_PORT: String(await freePort()),
    HERALD_TEMPORAL_PORT: String(await freePort()),
    HERALD_TEMPORAL_UI_PORT: String(await freePort()),
    HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    DATABASE_POOL_SIZE: '40',
  });
  console.log(`Herald bench on ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${external ? 'external servers' : 'embedded Postgres and Temporal dev server'}`);
  const herald = await runHerald('start', config, createRootLogger(config.logLevel));
  const rows: Row[] = [];
  try {
    const ws = await herald.app.get(WorkspacesService).createWorkspace(`bench-${Date.now()}`);
    const { key } = await herald.app.get(WorkspacesService).createKey(ws.id, 'bench');
    const api = herald.apiUrl!;
    const auth = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${api}${p}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    await call('PUT', '/notifications/note', { name: 'Note', channels: { inbox: { title: 'Hi {{ recipient }}', body: 'b' } } });
    const oneStep = await call('POST', '/automations', { name: 'One step', steps: [{ action: 'send', template: 'note' }] });
    await call('POST', `/automations/${oneStep.id}/publish`);
    for (const event of ['Bench', 'BenchBatch', 'BenchE2E']) await call('PUT', `/inbound/events/${encodeURIComponent(`track/${event}`)}/automations/${oneStep.id}`);
    const temporal = herald.app.get(TemporalClientService);
    const db = herald.app.get(DataSource);

    rows.push(await ingestScenario(api, key, temporal, ws.id));
    rows.push(await batchScenario(api, key));
    rows.push(await drained(db, ws.id, 'ingest scenarios'));
    rows.push(await endToEndScenario(api, key, db, ws.id));
    await drained(db, ws.id, 'end-to-end scenario');
    rows.push(await parkedRunsScenario(call, db, ws.id));
    rows.push(await outboundScenario(herald, call, sink, ws.id));
  } finally {
    await herald.stop();
    await sink.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  console.log('\n| scenario | Herald | baseline | ratio |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.herald} | ${r.baseline} | ${r.ratio} |`);
  const out = path.resolve(__dirname, '../../bench/results', `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ started: started.toISOString(), cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, settings: { SECONDS, CONNECTIONS, E2E_RATE, PARKED_RUNS, OUTBOUND_EVENTS }, rows }, null, 2));
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
}

/** 1. Single events to /inbound/rudderstack vs the same number of bare Temporal workflow starts. */
async function ingestScenario(api: string, key: string, temporal: TemporalClientService, workspaceId: string): Promise<Row> {
  console.log(`\n[1] ingest: ${SECONDS} s of single track events at ${CONNECTIONS} connections…`);
  const result = await autocannon({
    url: `${api}/inbound/rudderstack`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    idReplacement: true,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'track', event: 'Bench', userId: 'bench-[<id>]', messageId: 'bench-[<id>]', properties: { n: 1 } }),
  });
  const accepted = result['2xx'];
  const heraldRate = accepted / result.duration;
  console.log(`    ${accepted} accepted (${result.non2xx} other), ${heraldRate.toFixed(0)}/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  console.log(`    baseline: ${accepted} ingest workflow starts with the Temporal client at concurrency ${CONNECTIONS}…`);
  const latencies: number[] = [];
  const queue = `bench-baseline-${randomUUID()}`; // no worker polls it: only the start is measured
  const t0 = Date.now();
  await mapWithConcurrency(Array.from({ length: accepted }, (_, i) => i), CONNECTIONS, async (i) => {
    const s = Date.now();
    await temporal.client.workflow.start('ingestWorkflow', {
      taskQueue: queue,
      workflowId: `baseline:${workspaceId}:${i}-${randomUUID()}`,
      args: [{ workspaceId, eventLogId: '0', messageId: String(i), type: 'track', eventId: 'track/Bench', recipientId: 'x' }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    latencies.push(Date.now() - s);
  });
  const baselineRate = accepted / ((Date.now() - t0) / 1000);
  const b = percentiles(latencies);
  return {
    scenario: `ingest, single events (${CONNECTIONS} conns)`,
    herald: `${heraldRate.toFixed(0)} ev/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    baseline: `${baselineRate.toFixed(0)} starts/s, p50 ${b.p50} ms, p99 ${b.p99} ms`,
    ratio: `${(heraldRate / baselineRate).toFixed(2)}× throughput`,
    detail: { accepted, heraldRate, p50: result.latency.p50, p99: result.latency.p99, baselineRate, baselineP50: b.p50, baselineP99: b.p99 },
  };
}

/** 2. The same events in { batch: [100] } requests. */
async function batchScenario(api: string, key: string): Promise<Row> {
  console.log(`\n[2] batch ingest: ${SECONDS} s of 100-event batches at ${Math.max(1, Math.floor(CONNECTIONS / 4))} connections…`);
  const batch = Array.from({ length: 100 }, (_, i) => ({ type: 'track', event: 'BenchBatch', userId: `b-[<id>]`, messageId: `batch-[<id>]-${i}` }));
  const result = await autocannon({
    url: `${api}/inbound/rudderstack`,
    method: 'POST',
    connections: Math.max(1, Math.floor(CONNECTIONS / 4)),
    timeout: 120,
    duration: SECONDS,
    idReplacement: true,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  const events = result['2xx'] * 100;
  const rate = events / result.duration;
  console.log(`    ${result['2xx']} batches (${events} events), ${rate.toFixed(0)} ev/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms per batch`);
  return {
    scenario: `ingest, batches of 100 (${Math.max(1, Math.floor(CONNECTIONS / 4))} conns)`,
    herald: `${rate.toFixed(0)} ev/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms per batch`,
    baseline: '(scenario 1: single events)',
    ratio: '—',
    detail: { batches: result['2xx'], events, rate, p50: result.latency.p50, p99: result.latency.p99 },
  };
}

/** 3. Events at a fixed rate; each runs an automation that sends an inbox message: POST → DELIVERED. */
async function endToEndScenario(api: string, key: string, db: DataSource, workspaceId: string): Promise<Row> {
  const total = E2E_RATE * 15;
  console.log(`\n[3] end to end: ${total} events at ${E2E_RATE}/s, each sending an inbox message…`);
  const ids: string[] = [];
  const t0 = Date.now();
  await mapWithConcurrency(Array.from({ length: total }, (_, i) => i), 8, async (i) => {
    const due = t0 + (i * 1000) / E2E_RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const messageId = `e2e-${randomUUID()}`;
    ids.push(messageId);
    const res = await fetch(`${api}/inbound/rudderstack`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'track', event: 'BenchE2E', userId: `e${i % 50}`, messageId }) });
    await res.text();
  });
  const deadline = Date.now() + 120_000;
  let latencies: number[] = [];
  for (;;) {
    const rows = (await db.query(
      `SELECT EXTRACT(EPOCH FROM (m.delivered_at - e.received_at)) * 1000 AS ms
       FROM inbound_events e JOIN messages m ON m.workspace_id = e.workspace_id AND m.run_id::text = e.run_ids->>0
       WHERE e.workspace_id = $1 AND e.message_id = ANY($2) AND m.delivered_at IS NOT NULL`,
      [workspaceId, ids],
    )) as Array<{ ms: string }>;
    latencies = rows.map((r) => Number(r.ms));
    if (latencies.length >= total || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const p = percentiles(latencies);
  console.log(`    ${latencies.length}/${total} delivered; POST → DELIVERED p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms`);
  return {
    scenario: `end to end at ${E2E_RATE} ev/s (POST → inbox DELIVERED)`,
    herald: `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms (${latencies.length}/${total})`,
    baseline: '—',
    ratio: '—',
    detail: { total, delivered: latencies.length, ...p },
  };
}

/** 4. Many runs parked in a 1-hour delay: start time, memory while they wait, one cancel by token. */
async function parkedRunsScenario(call: (m: string, p: string, b?: unknown) => Promise<any>, db: DataSource, workspaceId: string): Promise<Row> {
  console.log(`\n[4] runs in flight: ${PARKED_RUNS} runs parked in a 1-hour delay…`);
  const rssBefore = process.memoryUsage().rss;
  const t0 = Date.now();
  await mapWithConcurrency(Array.from({ length: PARKED_RUNS }, (_, i) => i), 32, (i) =>
    call('POST', '/automations/invoke', { recipient: `p${i % 100}`, automation: { cancelation_token: 'bench-park', steps: [{ action: 'delay', duration: '1 hour' }, { action: 'send', template: 'note' }] } }),
  );
  const accepted = (Date.now() - t0) / 1000;
  await waitForCount(db, workspaceId, 'WAITING', PARKED_RUNS, 600_000);
  const allWaiting = (Date.now() - t0) / 1000;
  if (global.gc) global.gc();
  const rssWaiting = process.memoryUsage().rss;
  console.log(`    accepted in ${accepted.toFixed(1)} s, all WAITING after ${allWaiting.toFixed(1)} s; process RSS ${mb(rssBefore)} → ${mb(rssWaiting)} MB`);
  const c0 = Date.now();
  const canceled = await call('POST', '/automations/cancel', { cancelation_token: 'bench-park' });
  await waitForCount(db, workspaceId, 'CANCELED', PARKED_RUNS, 600_000);
  const cancelSeconds = (Date.now() - c0) / 1000;
  console.log(`    one cancel by token: ${canceled.canceled.length} runs, all CANCELED after ${cancelSeconds.toFixed(1)} s`);
  return {
    scenario: `${PARKED_RUNS} runs parked in a delay`,
    herald: `start ${(PARKED_RUNS / allWaiting).toFixed(0)} runs/s (all WAITING in ${allWaiting.toFixed(1)} s); RSS ${mb(rssWaiting)} MB; cancel all in ${cancelSeconds.toFixed(1)} s`,
    baseline: `RSS before ${mb(rssBefore)} MB`,
    ratio: `+${((rssWaiting - rssBefore) / PARKED_RUNS / 1024).toFixed(1)} KB per parked run`,
    detail: { runs: PARKED_RUNS, acceptedSeconds: accepted, allWaitingSeconds: allWaiting, rssBeforeMb: mb(rssBefore), rssWaitingMb: mb(rssWaiting), cancelSeconds },
  };
}

/** 5. Message events through the emitter to a local data plane, vs the SDK sending the same events directly. */
async function outboundScenario(herald: RunningHerald, call: (m: string, p: string, b?: unknown) => Promise<any>, sink: Awaited<ReturnType<typeof startSink>>, workspaceId: string): Promise<Row> {
  console.log(`\n[5] outbound: ${OUTBOUND_EVENTS} message events to a local data plane…`);
  await call('PUT', '/integrations/rudderstack', { write_key: 'bench-key', data_plane_url: sink.url, enabled: true });
  const outbox = herald.app.get(OutboxService);
  const messages = herald.app.get(MessagesService);
  const [message] = (await herald.app.get(DataSource).query('SELECT id FROM messages WHERE workspace_id = $1 LIMIT 1', [workspaceId])) as Array<{ id: string }>;
  const view = await messages.view(workspaceId, message.id);
  const before = sink.count();
  const t0 = Date.now();
  // As a status change does: its outbox row in a transaction, then a (coalesced) wake, from a few producers at once.
  const db = herald.app.get(DataSource);
  await mapWithConcurrency(Array.from({ length: OUTBOUND_EVENTS }, (_, i) => i), 16, async (i) => {
    const event = messageEvent(workspaceId, 'SENT', { ...view, id: `bench-out-${i}` }, Date.now())!;
    if (await outbox.append(db, workspaceId, [event], 'message')) void outbox.wake(workspaceId);
  });
  while (sink.count() - before < OUTBOUND_EVENTS) await new Promise((r) => setTimeout(r, 50));
  const emitterRate = OUTBOUND_EVENTS / ((Date.now() - t0) / 1000);

  const client = new Analytics('bench-key', { dataPlaneUrl: sink.url, flushAt: 100, flushInterval: 1000, retryCount: 0, logLevel: 'none', maxQueueSize: 64 * 1024 * 1024 } as never);
  const base = sink.count();
  const b0 = Date.now();
  for (let i = 0; i < OUTBOUND_EVENTS; i++) client.track({ userId: 'u', event: 'Message Sent', properties: { ...view, id: `direct-${i}` } as never });
  await client.flush();
  while (sink.count() - base < OUTBOUND_EVENTS) await new Promise((r) => setTimeout(r, 20));
  const directRate = OUTBOUND_EVENTS / ((Date.now() - b0) / 1000);
  console.log(`    emitter: ${emitterRate.toFixed(0)} ev/s; SDK directly: ${directRate.toFixed(0)} ev/s`);
  return {
    scenario: `outbound, ${OUTBOUND_EVENTS} message events`,
    herald: `${emitterRate.toFixed(0)} ev/s (signal-with-start per event → outbox → batches of 100)`,
    baseline: `${directRate.toFixed(0)} ev/s (SDK track + flush, batches of 100)`,
    ratio: `${(emitterRate / directRate).toFixed(2)}×`,
    detail: { events: OUTBOUND_EVENTS, emitterRate, directRate },
  };
}

/**
 * Waits until every accepted event is processed and every run has finished, so the next scenario
 * measures an idle system. The time it takes is itself a figure: how long the worker needed to
 * work through what the API accepted.
 */
async function drained(db: DataSource, workspaceId: string, what: string): Promise<Row> {
  const t0 = Date.now();
  let processed = 0;
  for (;;) {
    const [{ pending, done }] = (await db.query(
      `SELECT count(*) FILTER (WHERE outcome IS NULL)::int AS pending, count(*)::int AS done FROM inbound_events WHERE workspace_id = $1`,
      [workspaceId],
    )) as Array<{ pending: number; done: number }>;
    const [{ active }] = (await db.query(
      `SELECT count(*)::int AS active FROM automation_runs WHERE workspace_id = $1 AND status IN ('PROCESSING', 'WAITING')`,
      [workspaceId],
    )) as Array<{ active: number }>;
    processed = done;
    if (pending === 0 && active === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const seconds = (Date.now() - t0) / 1000;
  console.log(`\n    ${what} drained in ${seconds.toFixed(1)} s (${processed} events in the log)`);
  return { scenario: `worker catching up after the ${what}`, herald: `${seconds.toFixed(1)} s until every event and run was done`, baseline: '—', ratio: '—', detail: { seconds, events: processed } };
}

async function waitForCount(db: DataSource, workspaceId: string, status: string, n: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ c }] = (await db.query('SELECT count(*)::int AS c FROM automation_runs WHERE workspace_id = $1 AND status = $2', [workspaceId, status])) as Array<{ c: number }>;
    if (c >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${c}/${n} runs ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function percentiles(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]) : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

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

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

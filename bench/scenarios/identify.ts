import type { Result } from 'autocannon';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { check, Ctx, fmt, goal, newWorkspace, Row, secondsSince, times, waitProcessed, workspaceCounts } from '../common';
import type { LoadgenArgs } from '../loadgen';
import { settings } from '../settings';

/**
 * 1. Identify-only stream: autocannon (in a child process, bench/loadgen.ts) posts single identify
 * events (unique messageIds, ~1000 users, a few traits) for BENCH_SECONDS at BENCH_CONNECTIONS. Accepted/s is what the API
 * answered 202 to; processed/s counts the events whose outcome is set, over the time from the
 * first post until the last one had its outcome (profile merged).
 */
export async function identifyScenario(ctx: Ctx): Promise<Row[]> {
  const C = settings.connections;
  const ws = await newWorkspace(ctx, 'identify');
  console.log(`    posting single identify events for ${settings.seconds} s at ${C} connections (autocannon in a child process)…`);
  const t0 = Date.now();
  const { result, cpuSeconds: loadgenCpuSeconds } = await loadgen({ url: ctx.apiUrl, key: ws.key, connections: C, seconds: settings.seconds, tag: ctx.tag });
  const postSeconds = secondsSince(t0);
  const accepted = result['2xx'];
  const acceptedRate = accepted / result.duration;
  const refused = result.statusCodeStats?.['429']?.count ?? 0;
  console.log(`    ${accepted} accepted (${acceptedRate.toFixed(0)}/s; ${result.non2xx} other answers, ${refused} of them 429; ${result.errors} errors), p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);

  const wait = await waitProcessed(ctx, ws.id, 'identify events processed');
  const c = await workspaceCounts(ctx.db, ws.id);
  const processed = c.events - c.pending;
  const processedSeconds = secondsSince(t0, wait.at);
  const processedRate = processed / processedSeconds;
  ctx.loadgenCpuSeconds += loadgenCpuSeconds;
  console.log(`    (load generator used ${loadgenCpuSeconds.toFixed(1)} s CPU, not counted in the bench process)`);
  const [db] = (await ctx.db.query(
    `SELECT EXTRACT(EPOCH FROM max(processed_at) - min(received_at))::float AS span FROM inbound_events WHERE workspace_id = $1`,
    [ws.id],
  )) as Array<{ span: number | null }>;
  console.log(`    ${processed}/${c.events} processed ${secondsSince(t0, wait.at).toFixed(1)} s after the first post: ${processedRate.toFixed(0)}/s${wait.timedOut ? ` — TIMEOUT: ${wait.reason}` : ''}`);
  ctx.shared.identify = { workspaceId: ws.id, events: processed };

  const starts = ctx.baselines.startsPerSec;
  const oneLa = ctx.baselines.oneLocalActivityPerSec;
  const acceptedRatio = acceptedRate / starts;
  const processedRatio = processedRate / oneLa;
  const timeout = wait.timedOut ? ` — TIMEOUT (${wait.reason})` : '';
  return [
    {
      scenario: `1 identify stream: accepted (${C} conns, ${settings.seconds} s)`,
      herald: `${fmt(acceptedRate)} ev/s accepted (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ${result.non2xx} refused)`,
      baseline: `${fmt(starts)} bare starts/s; PG single-row inserts ${fmt(ctx.baselines.pgSingleRowsPerSec)} rows/s`,
      ratio: `${times(acceptedRatio)} starts (${times(acceptedRate / ctx.baselines.pgSingleRowsPerSec)} PG inserts)`,
      goal: goal('≥ 10× starts', check(acceptedRatio, (r) => r >= 10)),
      detail: { workspace: ws.id, accepted, loadgenCpuSeconds, durationSeconds: result.duration, postSeconds, acceptedRate, non2xx: result.non2xx, refused429: refused, errors: result.errors, timeouts: result.timeouts, latency: result.latency },
    },
    {
      scenario: '1 identify stream: processed (profile merged)',
      herald: `${fmt(processedRate)} ev/s processed (${processed} in ${processedSeconds.toFixed(1)} s from first post)${timeout}`,
      baseline: `${fmt(oneLa, 1)} bare one-local-activity workflows/s`,
      ratio: times(processedRatio),
      goal: goal('≥ 10× one-LA', wait.timedOut ? false : check(processedRatio, (r) => r >= 10)),
      detail: { processed, events: c.events, failed: c.failed, processedSeconds, processedRate, dbSpanSeconds: db?.span, timedOut: wait.timedOut, reason: wait.reason },
    },
  ];
}

/** Runs the identify load generator (bench/loadgen.ts) in a child process; also used by the audiences scenario. */
export function loadgen(args: LoadgenArgs): Promise<{ result: Result; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.resolve(__dirname, '../loadgen.js'), JSON.stringify(args)], { maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`load generator failed: ${err.message} ${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!));
      } catch (e) {
        reject(new Error(`load generator printed no result: ${(e as Error).message}; ${stderr}`));
      }
    });
  });
}

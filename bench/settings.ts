/** The bench's sizes, from the environment (see the header of bench/run.ts). */
const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got ${JSON.stringify(raw)})`);
  return n;
};

export const settings = {
  /** Length of the identify stream and of the sustained mapped-track stream. */
  seconds: num('BENCH_SECONDS', 20),
  /** Connections (concurrency C) for the streams and for the bare baselines. */
  connections: num('BENCH_CONNECTIONS', 16),
  /** Events in the burst scenario, posted as { batch: [100] } requests. */
  burst: num('BENCH_BURST', 20_000),
  /** Connections posting the burst. */
  burstConnections: num('BENCH_BURST_CONNECTIONS', 4),
  /** Runs parked in a 1-hour delay. */
  runs: num('BENCH_RUNS', 10_000),
  /** Recipients of the broadcast scenario. */
  broadcast: num('BENCH_BROADCAST', 100_000),
  /** Inbound events seeded (by SQL) into the dashboard scenario's workspace. */
  dashboardEvents: num('BENCH_DASHBOARD_EVENTS', 1_000_000),
  /** Message events through the emitter (and through the bare SDK). */
  outboundEvents: num('BENCH_OUTBOUND_EVENTS', 2000),
  /** `herald worker` child processes (external servers only); 0: Herald in 'start' mode in-process. */
  workers: num('BENCH_WORKERS', 0),
  /** Workflows per bare Temporal baseline. */
  baselineWorkflows: num('BENCH_BASELINE_WORKFLOWS', 1000),
  /** Rows per bare Postgres insert baseline (single-row and 100-row statements each). */
  baselineRows: num('BENCH_BASELINE_ROWS', 5000),
  /** Length of each fixed-rate latency stream. */
  latencySeconds: num('BENCH_LATENCY_SECONDS', 15),
  /** A wait gives up when nothing moved for this long... */
  stallSeconds: num('BENCH_STALL_SECONDS', 90),
  /** ...or after this long in all. */
  maxWaitSeconds: num('BENCH_MAX_WAIT_SECONDS', 1800),
  /** Scenario name prefixes to run (BENCH_ONLY=1,2a); empty: all. */
  only: (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  /** Added to the result file names (e.g. "smoke"). */
  label: (process.env.BENCH_LABEL ?? '').replace(/[^A-Za-z0-9_-]/g, ''),
};

export type Settings = typeof settings;

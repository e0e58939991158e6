import { Pool } from 'undici';
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DataSource } from 'typeorm';
import type { RunningHerald } from '../src/bootstrap/runtime';
import type { HeraldConfig } from '../src/config/herald-config';
import type { TemporalClientService } from '../src/temporal/temporal-client.service';
import { WorkspacesService } from '../src/workspaces/workspaces.service';
import type { Watched } from './procs';
import { MAPPED_EVENT } from './events';
import { settings } from './settings';
import type { Sink } from './sink';

/** One line of the report table; `detail` keeps the raw figures for the JSON file. */
export interface Row {
  scenario: string;
  herald: string;
  baseline: string;
  ratio: string;
  goal: string;
  detail: Record<string, unknown>;
}

/** What the baselines measured (filled in before the scenarios run; NaN when one failed). */
export interface Baselines {
  startsPerSec: number;
  oneLocalActivityPerSec: number;
  oneLocalActivityHistory: { events: number; workflowTasks: number };
  pgSingleRowsPerSec: number;
  pgMultiRowsPerSec: number;
}

/** Everything a scenario needs, and what earlier scenarios left for later ones. */
export interface Ctx {
  herald: RunningHerald;
  config: HeraldConfig;
  apiUrl: string;
  db: DataSource;
  temporal: TemporalClientService;
  sink: Sink;
  /** Unique per bench run: workspace ids, task queues and message ids carry it. */
  tag: string;
  watched: Watched;
  /** True when Herald's worker runs in the bench process (RSS is then process.memoryUsage). */
  inProcessWorker: boolean;
  baselines: Baselines;
  /** CPU seconds of load-generator child processes so far (they are not the bench process). */
  loadgenCpuSeconds: number;
  shared: {
    identify?: { workspaceId: string; events: number };
    sustained?: { workspaceId: string; events: number; deliveredPerSec: number };
    burst?: { workspaceId: string; events: number };
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const secondsSince = (t0: number, at = Date.now()) => (at - t0) / 1000;
export const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

export function percentiles(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]) : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.length ? Math.round(s[s.length - 1]) : NaN };
}

/** "3.2×" and the goal with its verdict: ✔ met, ✘ missed, ? not measurable. */
export const times = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×` : '—');
export function goal(text: string, met: boolean | undefined): string {
  return `${text} ${met === undefined ? '?' : met ? '✔' : '✘'}`;
}
export const check = (value: number, ok: (v: number) => boolean) => (Number.isFinite(value) ? ok(value) : undefined);

/** A row for a scenario that could not run to its end. */
export function failedRow(scenario: string, err: unknown): Row {
  const message = (err as Error)?.message ?? String(err);
  return { scenario, herald: `FAILED: ${message.split('\n')[0].slice(0, 200)}`, baseline: '—', ratio: '—', goal: '—', detail: { error: message } };
}

/** The global gc, exposed at run time (npm run bench starts node without --expose-gc). */
export function forceGc(): boolean {
  try {
    v8.setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    return true;
  } catch {
    return false;
  }
}

/** HTTP to Herald's API over a keep-alive pool (cheaper per request than fetch). */
export class Api {
  private readonly pool: Pool;
  constructor(url: string, connections: number) {
    this.pool = new Pool(url, { connections, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
  }

  async request(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await this.pool.request({
      method: method as 'POST',
      path,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    const retryAfter = Number(res.headers['retry-after']);
    return { status: res.statusCode, text, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined };
  }

  /** A setup call: throws on any error status, returns the parsed body. */
  async call(method: string, path: string, key: string, body?: unknown) {
    const res = await this.request(method, path, key, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.text ? JSON.parse(res.text) : null;
  }

  /**
   * Posts until accepted, as a sender that honours backpressure does: on 429/503 it waits
   * (`retryAfter`: the server's Retry-After, else `shortWaitMs`) and posts the same body again.
   * Returns false when `until` passed before the body was accepted.
   */
  async postRetrying(path: string, key: string, body: unknown, opts: { shortWaitMs: number; honourRetryAfter: boolean; until?: number; onRefused: (status: number) => void; headers?: Record<string, string> }): Promise<boolean> {
    for (;;) {
      if (opts.until !== undefined && Date.now() >= opts.until) return false;
      const res = await this.request('POST', path, key, body, opts.headers);
      if (res.status < 300) return true;
      if (res.status !== 429 && res.status !== 503) throw new Error(`POST ${path}: ${res.status} ${res.text.slice(0, 300)}`);
      opts.onRefused(res.status);
      await sleep(opts.honourRetryAfter && res.retryAfterMs !== undefined ? res.retryAfterMs : opts.shortWaitMs);
    }
  }

  close() {
    return this.pool.close();
  }
}

export interface Workspace {
  id: string;
  key: string;
}

/** A fresh workspace with its own key (each scenario has its own: own dispatchers, own counts). */
export async function newWorkspace(ctx: Ctx, name: string): Promise<Workspace> {
  const id = `b${ctx.tag}-${name}`.toLowerCase().slice(0, 63);
  const workspaces = ctx.herald.app.get(WorkspacesService);
  await workspaces.createWorkspace(id, `bench ${name}`);
  const { key } = await workspaces.createKey(id, 'bench');
  return { id, key };
}

/** A workspace where `track/BenchE2E` runs a one-step template sending an inbox notification. */
export async function mappedWorkspace(ctx: Ctx, api: Api, name: string): Promise<Workspace> {
  const ws = await newWorkspace(ctx, name);
  await api.call('PUT', '/notifications/note', ws.key, { name: 'Note', channels: { inbox: { title: 'Hi {{ recipient }}', body: 'b' } } });
  const oneStep = await api.call('POST', '/automations', ws.key, { name: 'One step', steps: [{ action: 'send', template: 'note' }] });
  await api.call('POST', `/automations/${oneStep.id}/publish`, ws.key);
  await api.call('PUT', `/inbound/events/${encodeURIComponent(`track/${MAPPED_EVENT}`)}/automations/${oneStep.id}`, ws.key);
  return ws;
}

export { identifyEvent, trackEvent, MAPPED_EVENT } from './events';

export type WaitResult = { at: number; timedOut: boolean; reason?: string };

/**
 * Polls `probe` until it says done. Gives up (timedOut, not an exception) when the progress
 * figure has not moved for BENCH_STALL_SECONDS or after BENCH_MAX_WAIT_SECONDS. Prints a
 * progress line every 5 s. `at` is when done was first seen.
 */
export async function waitFor(what: string, probe: () => Promise<{ done: boolean; progress: number; note: string }>, intervalMs = 250): Promise<WaitResult> {
  const t0 = Date.now();
  let last = NaN;
  let movedAt = t0;
  let printedAt = t0;
  for (;;) {
    const p = await probe();
    const now = Date.now();
    if (p.done) return { at: now, timedOut: false };
    if (p.progress !== last) {
      last = p.progress;
      movedAt = now;
    }
    if (now - printedAt >= 5000) {
      console.log(`    … ${what}: ${p.note} (${secondsSince(t0, now).toFixed(0)} s)`);
      printedAt = now;
    }
    if (now - movedAt > settings.stallSeconds * 1000) return { at: now, timedOut: true, reason: `no progress for ${settings.stallSeconds} s (${p.note})` };
    if (now - t0 > settings.maxWaitSeconds * 1000) return { at: now, timedOut: true, reason: `gave up after ${settings.maxWaitSeconds} s (${p.note})` };
    await sleep(intervalMs);
  }
}

/** Ledger and delivery counts of a workspace. */
export async function workspaceCounts(db: DataSource, workspaceId: string) {
  const [row] = (await db.query(
    `SELECT
       (SELECT count(*) FROM inbound_events WHERE workspace_id = $1)::int AS events,
       (SELECT count(*) FROM inbound_events WHERE workspace_id = $1 AND outcome IS NULL)::int AS pending,
       (SELECT count(*) FROM inbound_events WHERE workspace_id = $1 AND outcome = 'failed')::int AS failed,
       (SELECT count(*) FROM messages WHERE workspace_id = $1 AND status = 'DELIVERED')::int AS delivered,
       (SELECT count(*) FROM automation_runs WHERE workspace_id = $1 AND status IN ('PROCESSING', 'WAITING'))::int AS active`,
    [workspaceId],
  )) as Array<{ events: number; pending: number; failed: number; delivered: number; active: number }>;
  return row;
}

/** Waits until every message of the mapped events is DELIVERED (or nothing is left that could deliver one). */
export function waitDelivered(ctx: Ctx, workspaceId: string, expected: number, what: string) {
  return waitFor(what, async () => {
    const c = await workspaceCounts(ctx.db, workspaceId);
    const settled = c.pending === 0 && c.active === 0;
    return { done: c.delivered >= expected || (settled && c.events > 0), progress: c.delivered + c.events - c.pending, note: `${c.delivered}/${expected} delivered, ${c.pending} unprocessed, ${c.active} runs active` };
  });
}

/** Waits until every event of the workspace has its outcome. */
export function waitProcessed(ctx: Ctx, workspaceId: string, what: string) {
  return waitFor(what, async () => {
    const c = await workspaceCounts(ctx.db, workspaceId);
    return { done: c.pending === 0, progress: c.events - c.pending, note: `${c.events - c.pending}/${c.events} processed` };
  });
}

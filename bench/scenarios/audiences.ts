import { performance } from 'node:perf_hooks';
import { AudienceMembershipService } from '../../src/audiences/audience-membership.service';
import { Api, check, Ctx, fmt, goal, identifyEvent, newWorkspace, Row, secondsSince, times, waitFor, Workspace } from '../common';
import { settings } from '../settings';
import { loadgen } from './identify';

/** Ten audiences over the identify stream's traits; two read tenant membership. */
const AUDIENCES: Array<[string, unknown]> = [
  ['pro', ['profile.plan', 'is equal', 'pro']],
  ['free', ['profile.plan', 'is equal', 'free']],
  ['not-enterprise', ['profile.plan', 'is not equal', 'enterprise']],
  ['ones', ['profile.name', 'starts with', 'User 1']],
  ['example', ['profile.email', 'ends with', '@example.com']],
  ['active', ['profile.logins', 'greater than', 500]],
  ['active-pro', { AND: [['profile.plan', 'is equal', 'pro'], ['profile.logins', 'greater than', 100]] }],
  ['either', { OR: [['profile.name', 'contains', '7'], ['profile.plan', 'is equal', 'free']] }],
  ['acme', ['tenants', 'contains', 'acme']],
  ['acme-pro', { AND: [['tenants', 'contains', 'acme'], ['profile.plan', 'is equal', 'pro']] }],
];
const USERS = 1000;
const REFRESH_BATCH = 500;
const REFRESH_ROUNDS = 10;

/**
 * 8. Audience membership update cost per identify. The identify stream of scenario 1 (same
 * load generator, BENCH_SECONDS at BENCH_CONNECTIONS) into a workspace with no audiences and
 * into one with ten (filters over the traits it sends, two over tenant membership), after a
 * warm-up identify of each of its ~1000 users (so their entries happen before the measurement;
 * during it, memberships change only where `logins` crosses a threshold). Processed/s counts the
 * identify events only (entered/exited events are extra ledger rows). Then the refresh alone,
 * in-process: one dispatcher batch's call (500 users) in its own transaction, timed.
 */
export async function audiencesScenario(ctx: Ctx): Promise<Row[]> {
  const api = new Api(ctx.apiUrl, 4);
  try {
    const none = await newWorkspace(ctx, 'aud-none');
    const ten = await newWorkspace(ctx, 'aud-ten');
    for (const [id, filter] of AUDIENCES) await api.call('PUT', `/audiences/${id}`, ten.key, { name: id, filter });
    await api.call('PUT', '/tenants/acme', ten.key, { name: 'Acme' });
    for (let u = 0; u < USERS; u += 10) await api.call('PUT', `/users/user-${u}/tenants/acme`, ten.key, {});
    await waitFor('audiences READY', async () => {
      const rows = (await ctx.db.query(`SELECT count(*)::int AS n FROM audiences WHERE workspace_id = $1 AND status = 'READY'`, [ten.id])) as Array<{ n: number }>;
      return { done: rows[0].n === AUDIENCES.length, progress: rows[0].n, note: `${rows[0].n}/${AUDIENCES.length} ready` };
    });
    for (const ws of [none, ten]) await warmUp(ctx, api, ws);
    const [{ n: entries }] = (await ctx.db.query(`SELECT count(*)::int AS n FROM audience_members WHERE workspace_id = $1`, [ten.id])) as Array<{ n: number }>;
    console.log(`    warmed up: ${USERS} profiles in each workspace; ${entries} memberships in the ten audiences`);

    const without = await stream(ctx, none, 'no audiences');
    const withTen = await stream(ctx, ten, `${AUDIENCES.length} audiences`);

    const membership = ctx.herald.app.get(AudienceMembershipService);
    const users = Array.from({ length: REFRESH_BATCH }, (_, i) => `user-${i}`);
    const timeRefresh = async (ws: Workspace) => {
      const ms: number[] = [];
      for (let i = 0; i < REFRESH_ROUNDS; i++) {
        const t0 = performance.now();
        await ctx.db.transaction((tx) => membership.refresh(tx, ws.id, users));
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      return ms[Math.floor(ms.length / 2)];
    };
    const emptyTx = await (async () => {
      const ms: number[] = [];
      for (let i = 0; i < REFRESH_ROUNDS; i++) {
        const t0 = performance.now();
        await ctx.db.transaction(async () => undefined);
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
    })();
    const refreshTen = await timeRefresh(ten);
    const refreshNone = await timeRefresh(none);
    const perIdentifyUs = (Math.max(0, refreshTen - emptyTx) * 1000) / REFRESH_BATCH;
    const perIdentifyNoneUs = (Math.max(0, refreshNone - emptyTx) * 1000) / REFRESH_BATCH;
    console.log(`    refresh of ${REFRESH_BATCH} users (median of ${REFRESH_ROUNDS}, in its own transaction): ${refreshTen.toFixed(1)} ms with ${AUDIENCES.length} audiences, ${refreshNone.toFixed(2)} ms with none (an empty transaction: ${emptyTx.toFixed(2)} ms)`);

    const ratio = withTen.rate / without.rate;
    return [
      {
        scenario: `8 identify stream with ${AUDIENCES.length} audiences (${settings.connections} conns, ${settings.seconds} s)`,
        herald: `${fmt(withTen.rate)} identify/s processed (${withTen.processed} in ${withTen.seconds.toFixed(1)} s; ${withTen.audienceEvents} entered/exited events)`,
        baseline: `${fmt(without.rate)} identify/s with no audiences`,
        ratio: times(ratio),
        goal: goal('≥ 0.8× no audiences', check(ratio, (r) => r >= 0.8)),
        detail: { with: withTen, without, audiences: AUDIENCES.length, memberships: entries },
      },
      {
        scenario: `8 audience membership update cost per identify (${AUDIENCES.length} audiences)`,
        herald: `${fmt(perIdentifyUs, 1)} µs per identify (a ${REFRESH_BATCH}-user refresh: ${refreshTen.toFixed(1)} ms)`,
        baseline: `no audiences: ${fmt(perIdentifyNoneUs, 2)} µs per identify (one cached lookup per batch)`,
        ratio: '—',
        goal: goal('no audiences ≈ 0', perIdentifyNoneUs < 5),
        detail: { refreshBatch: REFRESH_BATCH, rounds: REFRESH_ROUNDS, refreshTenMs: refreshTen, refreshNoneMs: refreshNone, emptyTransactionMs: emptyTx, perIdentifyUs, perIdentifyNoneUs },
      },
    ];
  } finally {
    await api.close();
  }
}

/** One identify of each user (batches of 100), then wait until the ledger (with any entered events) is processed. */
async function warmUp(ctx: Ctx, api: Api, ws: Workspace): Promise<void> {
  for (let n = 0; n < USERS; n += 100) {
    const batch = Array.from({ length: 100 }, (_, i) => identifyEvent(`${ctx.tag}w`, n + i));
    await api.call('POST', '/inbound/rudderstack', ws.key, { batch });
  }
  await waitFor(`warm-up of ${ws.id}`, async () => {
    const [c] = (await ctx.db.query(`SELECT count(*) FILTER (WHERE outcome IS NULL)::int AS pending, count(*)::int AS n FROM inbound_events WHERE workspace_id = $1`, [ws.id])) as Array<{ pending: number; n: number }>;
    return { done: c.pending === 0 && c.n >= USERS, progress: c.n - c.pending, note: `${c.n - c.pending}/${c.n} processed` };
  });
}

async function stream(ctx: Ctx, ws: Workspace, what: string) {
  const [{ max: before }] = (await ctx.db.query(`SELECT COALESCE(max(id), 0)::bigint AS max FROM inbound_events WHERE workspace_id = $1`, [ws.id])) as Array<{ max: string }>;
  console.log(`    ${what}: posting single identify events for ${settings.seconds} s at ${settings.connections} connections…`);
  const t0 = Date.now();
  const { result, cpuSeconds } = await loadgen({ url: ctx.apiUrl, key: ws.key, connections: settings.connections, seconds: settings.seconds, tag: ctx.tag });
  ctx.loadgenCpuSeconds += cpuSeconds;
  const wait = await waitFor(`${what}: identify events processed`, async () => {
    const [c] = (await ctx.db.query(`SELECT count(*) FILTER (WHERE outcome IS NULL)::int AS pending, count(*)::int AS n FROM inbound_events WHERE workspace_id = $1 AND id > $2`, [ws.id, before])) as Array<{ pending: number; n: number }>;
    return { done: c.pending === 0, progress: c.n - c.pending, note: `${c.n - c.pending}/${c.n} processed` };
  });
  const [c] = (await ctx.db.query(
    `SELECT count(*) FILTER (WHERE type = 'identify')::int AS identifies, count(*) FILTER (WHERE event_id LIKE 'track/audience/%')::int AS audience_events
     FROM inbound_events WHERE workspace_id = $1 AND id > $2`,
    [ws.id, before],
  )) as Array<{ identifies: number; audience_events: number }>;
  const seconds = secondsSince(t0, wait.at);
  const rate = c.identifies / seconds;
  console.log(`    ${what}: ${result['2xx']} accepted, ${c.identifies} identify processed in ${seconds.toFixed(1)} s: ${rate.toFixed(0)}/s (${c.audience_events} audience events)${wait.timedOut ? ` — TIMEOUT: ${wait.reason}` : ''}`);
  return { processed: c.identifies, seconds, rate, audienceEvents: c.audience_events, accepted: result['2xx'], timedOut: wait.timedOut };
}

import { Api, check, Ctx, fmt, goal, mappedWorkspace, percentiles, Row, secondsSince, sleep, times, trackEvent, waitDelivered, workspaceCounts } from '../common';
import { settings } from '../settings';

/**
 * 2. Mapped one-step track → inbox DELIVERED.
 * (a) sustained: C senders post single events as fast as the system takes them for
 *     BENCH_SECONDS (a 429 is retried after 100 ms and counted); delivered/s = messages
 *     DELIVERED / (first post → last delivered, as observed by polling every 250 ms).
 * (b) latency at a fixed fraction of (a)'s rate for BENCH_LATENCY_SECONDS: per event
 *     messages.delivered_at − inbound_events.received_at.
 */
export async function sustainedScenario(ctx: Ctx): Promise<Row[]> {
  const C = settings.connections;
  const api = new Api(ctx.apiUrl, C);
  try {
    const ws = await mappedWorkspace(ctx, api, 'sustained');
    let seq = 0;
    let accepted = 0;
    let refused = 0;
    console.log(`    ${C} senders posting single mapped track events for ${settings.seconds} s…`);
    const t0 = Date.now();
    const until = t0 + settings.seconds * 1000;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (Date.now() < until) {
          const n = seq++;
          const ok = await api.postRetrying('/inbound/rudderstack', ws.key, trackEvent(`s-${ctx.tag}-${n}`, n), { shortWaitMs: 100, honourRetryAfter: false, until, onRefused: () => refused++ });
          if (ok) accepted++;
        }
      }),
    );
    const postSeconds = secondsSince(t0);
    console.log(`    ${accepted} accepted in ${postSeconds.toFixed(1)} s (${(accepted / postSeconds).toFixed(0)}/s), ${refused} refused (429/503) and retried`);
    const wait = await waitDelivered(ctx, ws.id, accepted, 'sustained: messages delivered');
    const c = await workspaceCounts(ctx.db, ws.id);
    const seconds = secondsSince(t0, wait.at);
    const rate = c.delivered / seconds;
    const [db] = (await ctx.db.query(
      `SELECT EXTRACT(EPOCH FROM max(delivered_at))::float * 1000 AS last FROM messages WHERE workspace_id = $1 AND status = 'DELIVERED'`,
      [ws.id],
    )) as Array<{ last: number | null }>;
    console.log(`    ${c.delivered}/${accepted} delivered ${seconds.toFixed(1)} s after the first post: ${rate.toFixed(1)} msg/s${wait.timedOut ? ` — TIMEOUT: ${wait.reason}` : ''}`);
    ctx.shared.sustained = { workspaceId: ws.id, events: accepted, deliveredPerSec: rate };
    const oneLa = ctx.baselines.oneLocalActivityPerSec;
    const ratio = rate / oneLa;
    return [{
      scenario: `2a mapped track → inbox DELIVERED, sustained (${C} senders, ${settings.seconds} s)`,
      herald: `${fmt(rate, 1)} msg/s delivered (${c.delivered}/${accepted} in ${seconds.toFixed(1)} s; accepted ${fmt(accepted / postSeconds)}/s, ${refused}× 429)${wait.timedOut ? ` — TIMEOUT (${wait.reason})` : ''}`,
      baseline: `${fmt(oneLa, 1)} bare one-LA workflows/s`,
      ratio: times(ratio),
      goal: goal('≥ 0.7×', wait.timedOut ? false : check(ratio, (r) => r >= 0.7)),
      detail: { workspace: ws.id, accepted, refused, postSeconds, delivered: c.delivered, failed: c.failed, seconds, rate, dbLastDeliveredAfterFirstPostSeconds: db?.last ? (db.last - t0) / 1000 : null, timedOut: wait.timedOut, reason: wait.reason },
    }];
  } finally {
    await api.close();
  }
}

export async function latencyScenario(ctx: Ctx, fraction: number): Promise<Row[]> {
  const sustained = ctx.shared.sustained?.deliveredPerSec ?? NaN;
  const label = `2b latency at ${Math.round(fraction * 100)}% of the sustained rate`;
  if (!Number.isFinite(sustained) || sustained <= 0) throw new Error('no sustained rate from 2a to take a fraction of');
  const rate = fraction * sustained;
  const total = Math.max(1, Math.round(rate * settings.latencySeconds));
  const api = new Api(ctx.apiUrl, 64);
  try {
    const ws = await mappedWorkspace(ctx, api, `lat${Math.round(fraction * 100)}`);
    console.log(`    ${total} events at ${rate.toFixed(1)}/s (${settings.latencySeconds} s)…`);
    let accepted = 0;
    let refused = 0;
    let maxLagMs = 0;
    const inflight = new Set<Promise<void>>();
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      maxLagMs = Math.max(maxLagMs, Date.now() - due);
      while (inflight.size >= 256) await Promise.race(inflight);
      const p: Promise<void> = api
        .postRetrying('/inbound/rudderstack', ws.key, trackEvent(`l-${ctx.tag}-${i}`, i), { shortWaitMs: 100, honourRetryAfter: false, onRefused: () => refused++ })
        .then((ok) => void (ok && accepted++))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    const postSeconds = secondsSince(t0);
    const wait = await waitDelivered(ctx, ws.id, accepted, `${label}: delivered`);
    const rows = (await ctx.db.query(
      `SELECT EXTRACT(EPOCH FROM (m.delivered_at - e.received_at)) * 1000 AS ms
       FROM inbound_events e JOIN messages m ON m.workspace_id = e.workspace_id AND m.run_id = (e.run_ids->>0)::uuid
       WHERE e.workspace_id = $1 AND m.delivered_at IS NOT NULL`,
      [ws.id],
    )) as Array<{ ms: string }>;
    const latencies = rows.map((r) => Number(r.ms));
    const p = percentiles(latencies);
    console.log(`    ${latencies.length}/${total} delivered; received → DELIVERED p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms (sender max lag ${maxLagMs} ms)`);
    const timedOut = wait.timedOut ? ` — TIMEOUT (${wait.reason})` : '';
    const isGoal = fraction === 0.5;
    return [{
      scenario: `${label} (${fmt(rate, 1)} ev/s for ${settings.latencySeconds} s)`,
      herald: `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms (${latencies.length}/${total} arrived, ${refused}× 429)${timedOut}`,
      baseline: `sustained ${fmt(sustained, 1)} msg/s`,
      ratio: '—',
      goal: isGoal ? goal('p99 ≤ 250 ms', latencies.length < total ? false : check(p.p99, (v) => v <= 250)) : '—',
      detail: { workspace: ws.id, fraction, rate, total, accepted, refused, postSeconds, maxSenderLagMs: maxLagMs, arrived: latencies.length, ...p, timedOut: wait.timedOut, reason: wait.reason },
    }];
  } finally {
    await api.close();
  }
}

import { mapWithConcurrency } from '../../src/common/concurrency';
import { Api, Ctx, fmt, mappedWorkspace, Row, secondsSince, times, trackEvent, waitDelivered, waitProcessed, workspaceCounts } from '../common';
import { settings } from '../settings';

/**
 * 3. Burst: BENCH_BURST mapped track events in { batch: [100] } requests at a few connections,
 * as fast as possible; a 429 is retried after its Retry-After (1 s without one), as RudderStack
 * does. Reports the time until every event is accepted, processed (outcome set) and its message
 * DELIVERED, and the 429 count.
 */
export async function burstScenario(ctx: Ctx): Promise<Row[]> {
  const conns = Math.max(1, settings.burstConnections);
  const total = Math.max(100, Math.round(settings.burst / 100) * 100);
  const api = new Api(ctx.apiUrl, conns);
  try {
    const ws = await mappedWorkspace(ctx, api, 'burst');
    const batches = Array.from({ length: total / 100 }, (_, b) => ({ batch: Array.from({ length: 100 }, (_, j) => trackEvent(`b-${ctx.tag}-${b * 100 + j}`, b * 100 + j)) }));
    let refused = 0;
    console.log(`    ${total} events in ${batches.length} batches of 100 at ${conns} connections…`);
    const t0 = Date.now();
    await mapWithConcurrency(batches, conns, (body) =>
      api.postRetrying('/inbound/rudderstack', ws.key, body, { shortWaitMs: 1000, honourRetryAfter: true, onRefused: () => refused++ }),
    );
    const acceptedSeconds = secondsSince(t0);
    console.log(`    all accepted after ${acceptedSeconds.toFixed(1)} s (${refused}× 429/503)`);
    const processed = await waitProcessed(ctx, ws.id, 'burst: processed');
    const processedSeconds = secondsSince(t0, processed.at);
    const delivered = processed.timedOut ? processed : await waitDelivered(ctx, ws.id, total, 'burst: delivered');
    const deliveredSeconds = secondsSince(t0, delivered.at);
    const c = await workspaceCounts(ctx.db, ws.id);
    const deliveredRate = c.delivered / deliveredSeconds;
    console.log(`    processed after ${processedSeconds.toFixed(1)} s, ${c.delivered}/${total} delivered after ${deliveredSeconds.toFixed(1)} s (${deliveredRate.toFixed(1)} msg/s)`);
    ctx.shared.burst = { workspaceId: ws.id, events: total };
    const oneLa = ctx.baselines.oneLocalActivityPerSec;
    const timeout = delivered.timedOut ? ` — TIMEOUT (${delivered.reason})` : '';
    return [{
      scenario: `3 burst: ${total} mapped tracks in batches of 100 (${conns} conns)`,
      herald: `accepted in ${acceptedSeconds.toFixed(1)} s, processed in ${processedSeconds.toFixed(1)} s (${fmt((total - c.pending) / processedSeconds)} ev/s), DELIVERED in ${deliveredSeconds.toFixed(1)} s (${fmt(deliveredRate, 1)} msg/s); ${refused}× 429${timeout}`,
      baseline: `${total} bare one-LA workflows: ${fmt(total / oneLa)} s at ${fmt(oneLa, 1)}/s; PG 100-row inserts ${fmt(ctx.baselines.pgMultiRowsPerSec)} rows/s`,
      ratio: `${times(deliveredRate / oneLa)} one-LA (delivered/s)`,
      goal: '—',
      detail: { workspace: ws.id, total, connections: conns, refused, acceptedSeconds, processedSeconds, deliveredSeconds, delivered: c.delivered, failed: c.failed, deliveredRate, timedOut: delivered.timedOut, reason: delivered.reason },
    }];
  } finally {
    await api.close();
  }
}

import { Injectable } from '@nestjs/common';
import { FINAL_RUN_STATUSES } from '../../workflows/shared/run-types';
import { EVENT_TYPES } from '../inbound/inbound-event';
import { MESSAGE_STATUSES } from '../messages/message-status';
import { DashboardStatsRepository, FunnelRow } from './dashboard-stats.repository';
import { bucketIndex, dashboardRange, DashboardWindowName } from './dashboard-window';
import type { Dashboard, FunnelEntry } from './dashboard.responses';

const FUNNEL_LIMIT = 50;
const RUN_SERIES = ['started', ...FINAL_RUN_STATUSES];

/**
 * GET /dashboard: a workspace's traffic in the last hour, day or week, from the per-minute and
 * per-half-hour aggregates (see the Dashboard migration), after folding the deltas committed so
 * far, so what it shows is exact up to the moment of the read.
 *
 * - events: inbound events accepted per bucket by type (a duplicate messageId is not an event).
 * - runs: runs created ("started") and runs reaching each final status per bucket; active are
 *   the runs PROCESSING or WAITING now.
 * - messages: transitions into each status per bucket (each status once per message: its history).
 * - funnel, per notification template: `sent` is the number of messages of that template that
 *   reached SENT or a later stage (DELIVERED, OPENED, CLICKED) with their sent time in the window;
 *   delivered, opened and clicked count those of the same messages that have reached that stage
 *   or a later one so far (an opened email with no delivery receipt counts as delivered). Rates
 *   are fractions of sent (null when sent is 0). Top 50 by sent.
 * - outbound: events in the RudderStack outbox not yet sent, the oldest one's time, the
 *   integration's last error.
 */
@Injectable()
export class DashboardService {
  constructor(private readonly stats: DashboardStatsRepository) {}

  async dashboard(workspaceId: string, window: DashboardWindowName, nowMs = Date.now()): Promise<Dashboard> {
    await this.stats.fold();
    const range = dashboardRange(window, nowMs);
    const { series, funnel, gauges, outbound } = await this.stats.read(workspaceId, range, FUNNEL_LIMIT);
    const zeros = () => range.bucketStarts.map(() => 0);
    const groups = {
      event: Object.fromEntries(EVENT_TYPES.map((t) => [t, zeros()])) as Record<string, number[]>,
      run: Object.fromEntries(RUN_SERIES.map((s) => [s, zeros()])) as Record<string, number[]>,
      message: Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, zeros()])) as Record<string, number[]>,
    };
    for (const row of series) {
      const i = bucketIndex(range, row.bucket.getTime());
      if (i < 0) continue;
      (groups[row.series][row.key] ??= zeros())[i] += Number(row.n);
    }
    const gauge = (series: string, key: string) => Number(gauges.find((g) => g.series === series && g.key === key)?.n ?? 0);
    return {
      window,
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      bucket_seconds: range.bucketSeconds,
      buckets: range.bucketStarts.map((ms) => new Date(ms).toISOString()),
      events: withTotals(groups.event),
      runs: { ...withTotals(groups.run), active: { PROCESSING: gauge('active', 'PROCESSING'), WAITING: gauge('active', 'WAITING') } },
      messages: withTotals(groups.message),
      funnel: funnel.map(funnelEntry),
      outbound: {
        pending: gauge('outbound', 'pending'),
        oldest_pending_at: outbound?.oldest_pending_at?.toISOString() ?? null,
        last_error: outbound?.last_error && outbound.last_error_at ? { at: outbound.last_error_at.toISOString(), message: outbound.last_error } : null,
      },
    };
  }
}

function withTotals(series: Record<string, number[]>) {
  return { series, totals: Object.fromEntries(Object.entries(series).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0)])) };
}

function funnelEntry(r: FunnelRow): FunnelEntry {
  const [sent, delivered, opened, clicked] = [r.sent, r.delivered, r.opened, r.clicked].map(Number);
  const rate = (n: number) => (sent > 0 ? n / sent : null);
  return { template: r.template, sent, delivered, opened, clicked, delivered_rate: rate(delivered), opened_rate: rate(opened), clicked_rate: rate(clicked) };
}

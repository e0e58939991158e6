import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DashboardRange } from './dashboard-window';

/** How long each grain of dashboard_stats is kept: the hour view reads minutes, the day and week views half hours. */
export const STATS_RETENTION = { 60: '3 hours', 1800: '8 days' } as const;

/**
 * Moves every committed delta into dashboard_stats (both grains) and dashboard_gauges in one
 * statement. Safe to run concurrently under READ COMMITTED: a second fold's DELETE waits on the
 * rows the first is deleting and then skips them (each delta is added once), and both upserts
 * lock their target rows in key order (no deadlock). Deltas older than a grain keeps are dropped.
 */
const FOLD = `WITH d AS (DELETE FROM dashboard_deltas RETURNING *),
  g AS (INSERT INTO dashboard_gauges AS t (workspace_id, series, key, n)
        SELECT workspace_id, series, key, sum(n) FROM d WHERE minute IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, series, key) DO UPDATE SET n = t.n + excluded.n),
  s AS (INSERT INTO dashboard_stats AS t (workspace_id, grain, bucket, series, key, template, n)
        SELECT d.workspace_id, gb.grain, gb.bucket, d.series, d.key, d.template, sum(d.n)
        FROM d CROSS JOIN LATERAL (VALUES (60, d.minute), (1800, date_bin(interval '30 minutes', d.minute, timestamptz 'epoch'))) AS gb(grain, bucket)
        WHERE d.minute IS NOT NULL
          AND gb.bucket >= now() - CASE gb.grain WHEN 60 THEN interval '${STATS_RETENTION[60]}' ELSE interval '${STATS_RETENTION[1800]}' END
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (workspace_id, grain, bucket, series, key, template) DO UPDATE SET n = t.n + excluded.n)
  SELECT count(*)::int AS n FROM d`;

const PRUNE = `DELETE FROM dashboard_stats
  WHERE (grain = 60 AND bucket < now() - interval '${STATS_RETENTION[60]}') OR (grain = 1800 AND bucket < now() - interval '${STATS_RETENTION[1800]}')`;

export interface Query {
  sql: string;
  params: unknown[];
}

export interface SeriesRow {
  series: 'event' | 'run' | 'message';
  key: string;
  bucket: Date;
  n: string;
}
export interface FunnelRow {
  template: string;
  sent: string;
  delivered: string;
  opened: string;
  clicked: string;
}
export interface GaugeRow {
  series: string;
  key: string;
  n: string;
}
export interface OutboundRow {
  oldest_pending_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
}

/** The dashboard's tables: the fold of the triggers' deltas, their pruning, and the reads (each an index range scan). */
@Injectable()
export class DashboardStatsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Returns how many delta rows were folded. */
  async fold(): Promise<number> {
    const [row] = (await this.db.query(FOLD)) as Array<{ n: number }>;
    return row?.n ?? 0;
  }

  /** Deletes the buckets no view reads any more; returns how many. */
  async prune(): Promise<number> {
    const result = (await this.db.query(PRUNE)) as [unknown, number];
    return result[1] ?? 0;
  }

  /** The read statements, by name (the performance test EXPLAINs these same ones). */
  queries(workspaceId: string, range: DashboardRange, funnelLimit: number): Record<'series' | 'funnel' | 'gauges' | 'outbound', Query> {
    const window = [workspaceId, range.grain, new Date(range.fromMs), new Date(range.toMs)];
    return {
      series: {
        sql: `SELECT series, key, date_bin(make_interval(secs => $5), bucket, timestamptz 'epoch') AS bucket, sum(n)::text AS n
              FROM dashboard_stats
              WHERE workspace_id = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4 AND series IN ('event', 'run', 'message')
              GROUP BY 1, 2, 3`,
        params: [...window, range.bucketSeconds],
      },
      funnel: {
        sql: `SELECT template,
                COALESCE(sum(n) FILTER (WHERE key = 'sent'), 0)::text AS sent, COALESCE(sum(n) FILTER (WHERE key = 'delivered'), 0)::text AS delivered,
                COALESCE(sum(n) FILTER (WHERE key = 'opened'), 0)::text AS opened, COALESCE(sum(n) FILTER (WHERE key = 'clicked'), 0)::text AS clicked
              FROM dashboard_stats
              WHERE workspace_id = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4 AND series = 'funnel'
              GROUP BY template ORDER BY sum(n) FILTER (WHERE key = 'sent') DESC NULLS LAST, template LIMIT $5`,
        params: [...window, funnelLimit],
      },
      gauges: { sql: 'SELECT series, key, n::text AS n FROM dashboard_gauges WHERE workspace_id = $1', params: [workspaceId] },
      outbound: {
        // The outbox's head (lowest seq) is its oldest pending event: the pending index gives it without a scan.
        sql: `SELECT (SELECT created_at FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL ORDER BY seq LIMIT 1) AS oldest_pending_at,
                i.last_error, i.last_error_at
              FROM (SELECT 1) AS one LEFT JOIN rudderstack_integrations i ON i.workspace_id = $1`,
        params: [workspaceId],
      },
    };
  }

  async read(workspaceId: string, range: DashboardRange, funnelLimit: number) {
    const q = this.queries(workspaceId, range, funnelLimit);
    const run = <T>(x: Query) => this.db.query(x.sql, x.params) as Promise<T[]>;
    const [series, funnel, gauges, outbound] = await Promise.all([run<SeriesRow>(q.series), run<FunnelRow>(q.funnel), run<GaugeRow>(q.gauges), run<OutboundRow>(q.outbound)]);
    return { series, funnel, gauges, outbound: outbound[0] };
  }
}

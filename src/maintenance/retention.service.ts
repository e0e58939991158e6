import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { DashboardStatsRepository } from '../dashboard/dashboard-stats.repository';

/** Rows per delete statement, and statements per table per run: a run is bounded, the next one goes on. */
const BATCH = 5_000;
const MAX_BATCHES = 20;
/** Tombstones, throttle decisions and tenant send requests outlive any window they serve by this much. */
const SHORT_LIVED_MS = 7 * 24 * 3600_000;
/** A delivery receipt that came before its acceptance waits this long for it. */
const PENDING_RECEIPT_MS = 24 * 3600_000;

export interface PruneResult {
  [table: string]: number;
}

/**
 * The pruning job (part of the maintenance schedule, at most every HERALD_PRUNE_INTERVAL):
 * deletes what has passed its retention, in batches so no statement holds locks for long.
 * The inbound ledger's rows stay forever (they are the permanent idempotency record); only their
 * bodies go. Everything else goes whole: finished runs with their steps, messages (not one still
 * waiting to be sent, however old: a long delay or a paused channel) with their
 * history, channel attempts and inbox entries, sent outbound events, old tombstones and throttle
 * decisions.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger('Retention');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly dashboard: DashboardStatsRepository,
  ) {}

  /** Runs the job when its interval has passed since the last run (recorded in Postgres, so one process at a time does it). */
  async pruneIfDue(): Promise<PruneResult | null> {
    const [due] = (await this.db.query(
      `INSERT INTO maintenance_state (name, last_run_at) VALUES ('prune', now())
       ON CONFLICT (name) DO UPDATE SET last_run_at = now()
       WHERE maintenance_state.last_run_at < now() - make_interval(secs => $1::double precision / 1000) RETURNING name`,
      [this.config.retention.pruneIntervalMs],
    )) as unknown[];
    if (!due) return null;
    const result = await this.prune();
    if (Object.values(result).some((n) => n > 0)) this.logger.log(`pruned ${JSON.stringify(result)}`);
    return result;
  }

  async prune(): Promise<PruneResult> {
    const r = this.config.retention;
    const age = (ms: number) => `now() - make_interval(secs => ${Math.floor(ms / 1000)})`;
    return {
      event_bodies: await this.batched(
        `UPDATE inbound_events SET body = NULL WHERE id IN (
           SELECT id FROM inbound_events WHERE body IS NOT NULL AND outcome IS NOT NULL AND received_at < ${age(r.eventBodiesMs)} LIMIT ${BATCH})`,
      ),
      runs: await this.batched(
        `WITH gone AS (DELETE FROM automation_runs WHERE (workspace_id, id) IN (
           SELECT workspace_id, id FROM automation_runs WHERE finished_at < ${age(r.runsMs)} LIMIT ${BATCH}) RETURNING workspace_id, id),
         steps AS (DELETE FROM automation_run_steps s USING gone WHERE s.workspace_id = gone.workspace_id AND s.run_id = gone.id),
         waits AS (DELETE FROM automation_run_waits w USING gone WHERE w.workspace_id = gone.workspace_id AND w.run_id = gone.id),
         batched AS (DELETE FROM automation_batch_items b USING gone WHERE b.workspace_id = gone.workspace_id AND b.run_id = gone.id)
         SELECT count(*)::int AS n FROM gone`,
      ),
      messages: await this.batched(
        `WITH gone AS (DELETE FROM messages WHERE (workspace_id, id) IN (
           SELECT workspace_id, id FROM messages WHERE updated_at < ${age(r.messagesMs)} AND status <> 'ENQUEUED' LIMIT ${BATCH}) RETURNING workspace_id, id),
         history AS (DELETE FROM message_events e USING gone WHERE e.workspace_id = gone.workspace_id AND e.message_id = gone.id),
         attempts AS (DELETE FROM channel_deliveries c USING gone WHERE c.workspace_id = gone.workspace_id AND c.message_id = gone.id),
         provider_attempts AS (DELETE FROM delivery_attempts d USING gone WHERE d.workspace_id = gone.workspace_id AND d.message_id = gone.id),
         inbox AS (DELETE FROM inbox_messages i USING gone WHERE i.workspace_id = gone.workspace_id AND i.id = gone.id)
         SELECT count(*)::int AS n FROM gone`,
      ),
      outbound_events: await this.batched(
        `DELETE FROM outbound_events WHERE seq IN (SELECT seq FROM outbound_events WHERE sent_at < ${age(r.outboxMs)} LIMIT ${BATCH})`,
      ),
      tombstones: await this.batched(`DELETE FROM cancel_tombstones WHERE canceled_at < ${age(Math.max(SHORT_LIVED_MS, this.config.cancelTombstoneTtlMs))}`),
      throttle_decisions: await this.batched(
        `DELETE FROM throttle_decisions WHERE (workspace_id, throttle_key, request_id) IN (
           SELECT workspace_id, throttle_key, request_id FROM throttle_decisions WHERE at < ${age(SHORT_LIVED_MS)} LIMIT ${BATCH})`,
      ),
      send_requests: await this.batched(`DELETE FROM send_requests WHERE created_at < ${age(SHORT_LIVED_MS)}`),
      // A receipt whose acceptance never came in a day never will (the sender died mid-send, or the id was not Herald's).
      pending_receipts: await this.batched(`DELETE FROM pending_receipts WHERE id IN (SELECT id FROM pending_receipts WHERE received_at < ${age(PENDING_RECEIPT_MS)} LIMIT ${BATCH})`),
      // The dashboard's buckets no view reads (minutes after 3 hours, half hours after 8 days): a few rows per workspace and key.
      dashboard_buckets: await this.dashboard.prune(),
    };
  }

  /** Repeats a bounded statement until it affects fewer rows than a batch (or the run's budget is spent). */
  private async batched(sql: string): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const result = (await this.db.query(sql)) as unknown;
      const n = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : ((result as Array<{ n?: number }>)[0]?.n ?? 0);
      total += n;
      if (n < BATCH) break;
    }
    return total;
  }
}

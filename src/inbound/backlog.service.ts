import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { tooManyRequests } from '../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';

/** How long a measured backlog is trusted (accepted events are added to it meanwhile). */
const MEASURE_EVERY_MS = 500;

/**
 * Backpressure: a workspace whose unprocessed backlog is at INBOUND_MAX_BACKLOG gets 429 with
 * Retry-After (RudderStack retries 429), so a burst slows the sender instead of growing latency
 * without limit. The count is bounded (it stops at the limit) and measured at most twice a
 * second per workspace and process; between measurements this process adds what it accepted.
 */
@Injectable()
export class BacklogService {
  private readonly measured = new Map<string, { count: number; at: number }>();

  constructor(@InjectDataSource() private readonly db: DataSource, @Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  /** Throws 429 when the workspace's backlog is over its bound; else counts `events` in. */
  async admit(workspaceId: string, events: number): Promise<void> {
    const max = this.config.inbound.maxBacklog;
    let entry = this.measured.get(workspaceId);
    if (!entry || Date.now() - entry.at > MEASURE_EVERY_MS) {
      entry = { count: await this.measure(workspaceId, max), at: Date.now() };
      this.measured.set(workspaceId, entry);
    }
    if (entry.count >= max) {
      throw tooManyRequests(
        `too many unprocessed events: the workspace's backlog is at INBOUND_MAX_BACKLOG (${max}); retry later`,
        this.config.retryAfterSeconds,
      );
    }
    entry.count += events;
  }

  /** Unprocessed events of the workspace, counted up to `max` only (an index-only scan of the pending index). */
  async measure(workspaceId: string, max: number): Promise<number> {
    const [{ n }] = (await this.db.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM inbound_events WHERE workspace_id = $1 AND outcome IS NULL AND shard IS NOT NULL LIMIT $2) t`,
      [workspaceId, max],
    )) as Array<{ n: number }>;
    return n;
  }
}

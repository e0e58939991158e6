import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How far ahead a send may book its slot; beyond it the send gives way and comes back later. */
export const RATE_HORIZON_MS = 20_000;
/**
 * Slots are spaced this much wider than 1/rate, so the jitter between a slot and the request's
 * arrival (a database round trip and the network) never shows the provider more than its limit.
 */
const SPACING_MARGIN = 1.1;

/**
 * Per-provider rate limits shared by every worker: each send books the provider's next free slot
 * (one every 1/rate seconds) with one compare-and-set on a row in Postgres, then waits for it. A
 * send that would have to wait longer than the horizon books nothing and is retried later, so
 * messages over the limit wait instead of being dropped, and no process holds far-off slots.
 */
@Injectable()
export class ProviderRateLimiter {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Milliseconds to wait for the booked slot, or null when none is free within the horizon. */
  async reserve(workspaceId: string, providerId: string, perSecond: number | null): Promise<number | null> {
    if (!perSecond) return 0;
    const spacingMs = (1000 / perSecond) * SPACING_MARGIN;
    const rows = (await this.db.query(
      `INSERT INTO provider_rate_slots AS s (workspace_id, provider_id, next_slot_at) VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3 / 1000.0))
       ON CONFLICT (workspace_id, provider_id) DO UPDATE SET next_slot_at = GREATEST(s.next_slot_at, clock_timestamp()) + make_interval(secs => $3 / 1000.0)
         WHERE GREATEST(s.next_slot_at, clock_timestamp()) < clock_timestamp() + make_interval(secs => $4 / 1000.0)
       RETURNING GREATEST(0, EXTRACT(EPOCH FROM (s.next_slot_at - clock_timestamp())) * 1000 - $3) AS wait_ms`,
      [workspaceId, providerId, spacingMs, RATE_HORIZON_MS],
    )) as Array<{ wait_ms: string | number }>;
    return rows[0] ? Number(rows[0].wait_ms) : null;
  }
}

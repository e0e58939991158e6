import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How far ahead a send may book its slot; beyond it the send gives way and comes back later. */
export const RATE_HORIZON_MS = 20_000;
/** Slots are spaced this much wider than 1/rate, so senders on time never meet the window below. */
const SPACING_MARGIN = 1.1;
/** The window is this much wider than n/rate: room for the network between the claim and the provider. */
const WINDOW_MARGIN = 1.05;

/** A claim at the commit point: when the request may leave, or how long until the window has room. */
export type RateClaim = { claimedAt: Date } | { waitMs: number };

/**
 * Per-provider rate limits shared by every worker, in two steps on one Postgres row per provider.
 *
 * - `reserve` books the provider's next free slot (one every 1/rate seconds) with one
 *   compare-and-set, and the send waits for it. A send that would wait past the horizon books
 *   nothing and is retried later, so messages over the limit wait instead of being dropped, and
 *   no process holds far-off slots.
 * - `claim`, right before the request leaves, checks a sliding window of the last n sends (n per
 *   n/rate seconds) and records this one, in one compare-and-set. Slots spread the senders out;
 *   the window is the guarantee: a sender that woke late (a busy event loop, a slow query) is held
 *   back instead of bunching up with the senders after it.
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

  /** Records a send in the provider's window if it has room (the request may leave now). */
  async claim(workspaceId: string, providerId: string, perSecond: number | null): Promise<RateClaim> {
    if (!perSecond) return { claimedAt: new Date() };
    const { sends, windowMs } = rateWindow(perSecond);
    // The n-th most recent send must have left the window; the array keeps the last n.
    const claimed = (await this.db.query(
      `UPDATE provider_rate_slots SET recent_sends = (recent_sends || clock_timestamp())[GREATEST(1, cardinality(recent_sends) + 2 - $3):]
       WHERE workspace_id = $1 AND provider_id = $2
         AND (cardinality(recent_sends) < $3 OR recent_sends[cardinality(recent_sends) + 1 - $3] <= clock_timestamp() - make_interval(secs => $4 / 1000.0))
       RETURNING recent_sends[cardinality(recent_sends)] AS claimed_at`,
      [workspaceId, providerId, sends, windowMs],
    )) as [Array<{ claimed_at: Date }>, number];
    if (claimed[0][0]) return { claimedAt: claimed[0][0].claimed_at };
    const [row] = (await this.db.query(
      `SELECT GREATEST(1, EXTRACT(EPOCH FROM (recent_sends[cardinality(recent_sends) + 1 - $3] + make_interval(secs => $4 / 1000.0) - clock_timestamp())) * 1000) AS wait_ms
       FROM provider_rate_slots WHERE workspace_id = $1 AND provider_id = $2`,
      [workspaceId, providerId, sends, windowMs],
    )) as Array<{ wait_ms: string | number | null }>;
    if (row) return { waitMs: Number(row.wait_ms ?? 1) };
    // No row yet (a test send books no slot) or no more (the provider was deleted mid-send).
    const [inserted] = (await this.db.query(
      `INSERT INTO provider_rate_slots (workspace_id, provider_id, next_slot_at, recent_sends) VALUES ($1, $2, clock_timestamp(), ARRAY[clock_timestamp()])
       ON CONFLICT (workspace_id, provider_id) DO NOTHING RETURNING recent_sends[1] AS claimed_at`,
      [workspaceId, providerId],
    )) as Array<{ claimed_at: Date }>;
    return inserted ? { claimedAt: inserted.claimed_at } : { waitMs: 1 };
  }
}

/** n sends per n/rate seconds (n = the whole sends per second, at least one), widened by the margin. */
function rateWindow(perSecond: number): { sends: number; windowMs: number } {
  const sends = Math.max(1, Math.floor(perSecond));
  return { sends, windowMs: (sends / perSecond) * 1000 * WINDOW_MARGIN };
}

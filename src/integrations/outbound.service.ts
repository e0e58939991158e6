import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Analytics from '@rudderstack/rudder-sdk-node';
import { DataSource } from 'typeorm';
import { guardedAgents } from '../common/net/guarded-agents';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import type { OutboundEvent } from '../outbox/outbound-event';
import { IntegrationsService } from './integrations.service';

export type FlushResult =
  | { outcome: 'ok'; sent: number; more: boolean }
  | { outcome: 'empty' }
  | { outcome: 'dropped'; count: number }
  | { outcome: 'retry'; error: string }
  | { outcome: 'rejected'; error: string };

/** How a drain ended: caught up (and lingered), handed back with more to do, or a failed batch to back off from. */
export type DrainResult = { sent: number } & ({ outcome: 'caught-up' } | { outcome: 'more' } | { outcome: 'retry' | 'rejected'; error: string });

/** Caught up, a drain keeps polling the outbox this long before it returns (writers skip waking it meanwhile). */
const LINGER_MS = 1_000;
const POLL_MS = 25;
const MAX_DRAIN_MS = 30_000;

/**
 * Herald → RudderStack: drains a workspace's outbox (written by OutboxService in the same
 * transaction as each status change) through the RudderStack Node SDK, for the emitter workflow.
 */
@Injectable()
export class OutboundService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly integrations: IntegrationsService,
  ) {}

  /**
   * The emitter's local activity: sends batches until the outbox is empty, then keeps polling for
   * LINGER_MS, advertising the window on the integration row so that status changes meanwhile do
   * not signal the emitter (a steady stream costs Temporal no signals). A failed batch returns at
   * once, for the workflow's durable backoff.
   */
  async drain(workspaceId: string, max: number): Promise<DrainResult> {
    const started = Date.now();
    let sent = 0;
    let extendedAt = 0;
    for (;;) {
      if (Date.now() - extendedAt > LINGER_MS / 2) {
        await this.db.query(
          `UPDATE rudderstack_integrations SET polling_until = GREATEST(polling_until, clock_timestamp() + make_interval(secs => $2::double precision / 1000)) WHERE workspace_id = $1`,
          [workspaceId, LINGER_MS],
        );
        extendedAt = Date.now();
      }
      const result = await this.flush(workspaceId, max);
      if (result.outcome === 'retry' || result.outcome === 'rejected') return { ...result, sent };
      if (result.outcome === 'ok') {
        sent += result.sent;
        if (Date.now() - started > MAX_DRAIN_MS) return { outcome: 'more', sent };
        continue;
      }
      // Caught up (or dropped, for a disabled integration): poll until the advertised window passed.
      for (;;) {
        const [row] = (await this.db.query(
          `SELECT EXISTS (SELECT 1 FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL) AS pending,
             COALESCE((SELECT extract(epoch from (polling_until - clock_timestamp())) * 1000 FROM rudderstack_integrations WHERE workspace_id = $1), 0)::int AS ms_left`,
          [workspaceId],
        )) as Array<{ pending: boolean; ms_left: number }>;
        if (row.pending) break;
        if (row.ms_left <= 0) return { outcome: 'caught-up', sent };
        await new Promise((r) => setTimeout(r, Math.min(POLL_MS, row.ms_left)));
      }
    }
  }

  /**
   * Sends the oldest unsent events as one batch. All-or-nothing per batch (one request), so the
   * order per user holds across retries. 5xx/429/network → retry later; other 4xx (bad write
   * key) → the integration is marked failing and the events are kept.
   */
  async flush(workspaceId: string, max: number): Promise<FlushResult> {
    const creds = await this.integrations.credentials(workspaceId);
    if (!creds || !creds.enabled) {
      const [, count] = (await this.db.query('DELETE FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL', [workspaceId])) as [unknown, number];
      return { outcome: 'dropped', count };
    }
    const rows = (await this.db.query(
      'SELECT seq, payload FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL ORDER BY seq LIMIT $2',
      [workspaceId, max],
    )) as Array<{ seq: string; payload: OutboundEvent }>;
    if (!rows.length) return { outcome: 'empty' };

    const error = await this.send(creds, rows.map((r) => r.payload));
    if (!error) {
      await this.db.query('UPDATE outbound_events SET sent_at = now() WHERE workspace_id = $1 AND seq = ANY($2::bigint[])', [workspaceId, rows.map((r) => r.seq)]);
      await this.integrations.recordSuccess(workspaceId, rows.length);
      return { outcome: 'ok', sent: rows.length, more: rows.length === max };
    }
    await this.integrations.recordFailure(workspaceId, error.message, !error.retryable);
    return error.retryable ? { outcome: 'retry', error: error.message } : { outcome: 'rejected', error: error.message };
  }

  private async send(creds: { writeKey: string; dataPlaneUrl: string }, events: OutboundEvent[]): Promise<{ message: string; retryable: boolean } | null> {
    const client = new Analytics(creds.writeKey, {
      dataPlaneUrl: creds.dataPlaneUrl,
      flushAt: events.length,
      flushInterval: 3_600_000,
      maxQueueSize: 64 * 1024 * 1024,
      retryCount: 0, // the emitter workflow retries, with durable backoff
      logLevel: 'none',
      errorHandler: () => undefined,
      // No redirects: a data plane does not redirect, and a hop is a way to reach an address the URL check never saw.
      axiosConfig: { ...guardedAgents(this.config.allowPrivateNetworks), timeout: 15_000, maxRedirects: 0 },
    });
    // The SDK sends the very first event of a new client on its own; marking it flushed keeps the batch whole.
    (client as unknown as { flushed: boolean }).flushed = true;
    const failures: unknown[] = [];
    let completed = 0;
    for (const e of events) {
      client.track(
        { userId: e.userId, event: e.event, properties: e.properties as never, timestamp: new Date(e.timestamp), messageId: e.messageId } as never,
        (err?: unknown) => {
          completed++;
          if (err) failures.push(err);
        },
      );
    }
    await client.flush();
    while (completed < events.length) await new Promise((r) => setImmediate(r));
    if (!failures.length) return null;
    const err = failures[0] as { response?: { status?: number }; code?: string; message?: string };
    const status = err.response?.status;
    if (status === undefined) {
      // Refused by the address guard: for good, and said as such (its message names host and address, never the path).
      if (err.code === 'EREFUSED_PRIVATE') return { message: `data plane refused: ${err.message}`, retryable: false };
      return { message: `data plane unreachable: ${err.code ?? err.message}`, retryable: true };
    }
    const retryable = status >= 500 || status === 429 || status === 408;
    return { message: `data plane answered HTTP ${status}${status === 401 ? ' (is the write key right?)' : ''}`, retryable };
  }
}

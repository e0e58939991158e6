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
      axiosConfig: { ...guardedAgents(this.config.allowPrivateNetworks), timeout: 15_000 },
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
    if (status === undefined) return { message: `data plane unreachable: ${err.code ?? err.message}`, retryable: err.code !== 'EREFUSED_PRIVATE' };
    const retryable = status >= 500 || status === 429 || status === 408;
    return { message: `data plane answered HTTP ${status}${status === 401 ? ' (is the write key right?)' : ''}`, retryable };
  }
}

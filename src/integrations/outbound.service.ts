import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Analytics from '@rudderstack/rudder-sdk-node';
import { DataSource } from 'typeorm';
import { RunEventsPublisher, RunStatusChange } from '../automations/runs/run-events.publisher';
import { guardedAgents } from '../common/net/guarded-agents';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { MessageEventsPublisher, MessageStatusChange } from '../messages/message-events.publisher';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { IntegrationsService } from './integrations.service';
import { messageEvent, OutboundEvent, outboundMessageId, RUN_EVENT_NAMES } from './outbound-event';

export type FlushResult =
  | { outcome: 'ok'; sent: number; more: boolean }
  | { outcome: 'empty' }
  | { outcome: 'dropped'; count: number }
  | { outcome: 'retry'; error: string }
  | { outcome: 'rejected'; error: string };

export const emitterWorkflowId = (workspaceId: string) => `emitter:${workspaceId}`;

/**
 * Herald → RudderStack. Subscribes to message (and run) status changes and signals them to the
 * workspace's emitter workflow (signal-with-start); the emitter persists them to an ordered
 * outbox and flushes batches through the RudderStack Node SDK.
 */
@Injectable()
export class OutboundService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly integrations: IntegrationsService,
    private readonly temporal: TemporalClientService,
    private readonly messageEvents: MessageEventsPublisher,
    private readonly runEvents: RunEventsPublisher,
  ) {}

  onModuleInit(): void {
    this.messageEvents.subscribe({ onMessageStatus: (change) => this.onMessageStatus(change) });
    this.runEvents.subscribe({ onRunStatus: (change) => this.onRunStatus(change) });
  }

  async onMessageStatus(change: MessageStatusChange): Promise<void> {
    const event = messageEvent(change);
    if (event) await this.emit(change.workspaceId, event, false);
  }

  async onRunStatus(change: RunStatusChange): Promise<void> {
    if (!change.run.recipient) return;
    await this.emit(
      change.workspaceId,
      {
        messageId: outboundMessageId(change.workspaceId, 'run', change.runId, change.status),
        userId: change.run.recipient,
        event: RUN_EVENT_NAMES[change.status],
        properties: { ...change.run, status: change.status },
        timestamp: new Date(change.at).toISOString(),
      },
      true,
    );
  }

  /** Disabled or unconfigured integrations get nothing, so nothing piles up for them. */
  private async emit(workspaceId: string, event: OutboundEvent, journey: boolean): Promise<void> {
    const settings = await this.integrations.settings(workspaceId);
    if (!settings?.enabled || (journey && !settings.journeyEvents)) return;
    await this.temporal.client.workflow.signalWithStart('emitterWorkflow', {
      workflowId: emitterWorkflowId(workspaceId),
      taskQueue: this.temporal.taskQueue,
      args: [{ workspaceId, batchSize: this.config.outbound.batchSize, flushMs: this.config.outbound.flushMs, maxHistory: this.config.outbound.maxHistory }],
      signal: 'outboundEvents',
      signalArgs: [[event]],
    });
  }

  /** Appends events to the outbox in the order given. Idempotent: an event id is stored once. */
  async persist(workspaceId: string, events: OutboundEvent[]): Promise<void> {
    if (!events.length) return;
    await this.db.query(
      `INSERT INTO outbound_events (workspace_id, message_id, payload)
       SELECT $1, e->>'messageId', e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
       ON CONFLICT (workspace_id, message_id) DO NOTHING`,
      [workspaceId, JSON.stringify(events)],
    );
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

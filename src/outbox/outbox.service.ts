import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '../database/queryable';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { WorkflowWaker } from '../temporal/workflow-waker.service';
import { emitterWorkflowId } from '../../workflows/shared/workflow-ids';
import type { OutboundEvent } from './outbound-event';

/**
 * The transactional outbox (SPEC section 5): an outbound event is written in the same
 * transaction as the status change that causes it, so a change is never stored without its
 * event nor the reverse. The emitter workflow drains it in order; this service only appends and
 * wakes it (coalesced), so a burst of changes costs a few signals and no event travels through
 * Temporal.
 */
@Injectable()
export class OutboxService {
  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig, private readonly waker: WorkflowWaker) {}

  /**
   * Appends events, in order, inside the caller's transaction — only when the workspace's
   * integration is enabled (and wants journey events, for those), checked by the same statement.
   * Idempotent: an event id is stored once. Returns whether anything was appended (then wake
   * the emitter once the transaction has committed).
   */
  async append(tx: Queryable, workspaceId: string, events: OutboundEvent[], kind: 'message' | 'journey'): Promise<boolean> {
    if (!events.length) return false;
    const [integration] = (await tx.query('SELECT journey_events FROM rudderstack_integrations WHERE workspace_id = $1 AND enabled', [workspaceId])) as Array<{ journey_events: boolean }>;
    if (!integration || (kind === 'journey' && !integration.journey_events)) return false;
    // Order per user: transactions writing events of one user take their sequence numbers one
    // after the other (the lock lasts to commit), so the outbox's order is their commit order.
    await tx.query(
      `SELECT pg_advisory_xact_lock(hashtext($1::text), hashtext(u)) FROM (SELECT DISTINCT unnest($2::text[]) AS u ORDER BY 1) t`,
      [workspaceId, events.map((e) => e.userId)],
    );
    const rows = (await tx.query(
      `INSERT INTO outbound_events (workspace_id, message_id, payload)
       SELECT $1::varchar, e->>'messageId', e FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
       ON CONFLICT (workspace_id, message_id) DO NOTHING RETURNING seq`,
      [workspaceId, JSON.stringify(events)],
    )) as unknown[];
    return rows.length > 0;
  }

  /** Wakes the workspace's emitter (signal-with-start, coalesced). Never throws: the sweep retries. */
  wake(workspaceId: string): Promise<void> {
    const { batchSize, flushMs, maxHistory } = this.config.outbound;
    return this.waker.wake({
      workflowType: 'emitterWorkflow',
      workflowId: emitterWorkflowId(workspaceId),
      args: [{ workspaceId, batchSize, flushMs, maxHistory }],
      signal: 'outboxWake',
    });
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '../database/queryable';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { WorkflowWaker } from '../temporal/workflow-waker.service';
import { emitterWorkflowId } from '../../workflows/shared/workflow-ids';
import type { OutboundEvent } from './outbound-event';

/** What an outbox writer needs to know of the integration: whether it wants journey and preference events, and whether its emitter is still polling. */
export interface IntegrationState {
  journey: boolean;
  preferences?: boolean;
  pollingMsLeft: number;
}

/** What an appended event is: a message status (always sent), or an opt-in kind. */
export type OutboundKind = 'message' | 'journey' | 'preference';

/** The select list of IntegrationState over `rudderstack_integrations i` (callers embed it in their own statements). */
export const INTEGRATION_STATE =
  'i.journey_events AS journey, i.preference_events AS preferences, COALESCE(GREATEST(0, extract(epoch from (i.polling_until - clock_timestamp())) * 1000), 0)::int AS polling_ms_left';

/** An emitter whose polling window ends sooner than this is woken. */
const POLLING_MARGIN_MS = 150;

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
   * Idempotent: an event id is stored once. Returns whether the emitter needs a wake once the
   * transaction has committed (something was appended and the emitter is not polling).
   */
  async append(tx: Queryable, workspaceId: string, events: OutboundEvent[], kind: OutboundKind, known?: IntegrationState | null): Promise<boolean> {
    if (!events.length) return false;
    // `known`: the caller read the integration in its own statement (saves a round trip).
    const integration = known !== undefined ? known : await this.integration(tx, workspaceId);
    if (!integration || (kind === 'journey' && !integration.journey) || (kind === 'preference' && !integration.preferences)) return false;
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
    // An emitter still polling the outbox for a while will see the rows on its own: no signal.
    return rows.length > 0 && integration.pollingMsLeft < POLLING_MARGIN_MS;
  }

  /** The workspace's enabled integration (null: none or disabled): whether it wants journey events, and how long its emitter still polls. */
  async integration(tx: Queryable, workspaceId: string): Promise<IntegrationState | null> {
    const [row] = (await tx.query(`SELECT ${INTEGRATION_STATE} FROM rudderstack_integrations i WHERE i.workspace_id = $1 AND i.enabled`, [workspaceId])) as Array<{
      journey: boolean; preferences: boolean; polling_ms_left: number;
    }>;
    return row ? { journey: row.journey, preferences: row.preferences, pollingMsLeft: row.polling_ms_left } : null;
  }

  /**
   * Wakes the workspace's emitter (signal-with-start, coalesced). Never throws: the sweep retries.
   * `integrationChanged` (the integration was saved) also cuts a backoff short.
   */
  wake(workspaceId: string, signal: 'outboxWake' | 'integrationChanged' = 'outboxWake'): Promise<void> {
    const { batchSize, maxHistory } = this.config.outbound;
    return this.waker.wake({
      workflowType: 'emitterWorkflow',
      workflowId: emitterWorkflowId(workspaceId),
      args: [{ workspaceId, batchSize, maxHistory }],
      signal,
    });
  }
}

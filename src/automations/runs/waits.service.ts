import { Injectable, Logger } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { evaluateCondition } from '../../../workflows/shared/expressions';
import type { JsonObject } from '../../../workflows/shared/json';
import type { RoutedEvent, RunContext } from '../../../workflows/shared/run-types';
import { routedEventSignal, runWakeSignal } from '../../../workflows/automation-run/messages';
import { mapWithConcurrency } from '../../common/concurrency';
import type { Queryable } from '../../database/queryable';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import type { LedgerEvent } from './event-runs.service';

/** Signals to send once the transaction that matched the waits has committed. */
export interface WaitWakes {
  /** Runs whose wait-for matched an event (the signal carries only the wait's key). */
  wakes: Array<{ workflowId: string; key: string }>;
  /** Runs started before the batched pipeline: they match themselves and need the body. */
  legacy: Array<{ workflowId: string; event: RoutedEvent }>;
}

/**
 * Routes track events to the runs waiting for them (wait-for). Matching happens here, in the
 * dispatcher's transaction: a wait takes the first event (in ledger order) of its recipient
 * and name whose `match` holds, recorded on the wait row; the run is then woken with a signal
 * that carries only the key, and reads the event from the ledger when it resumes. A lost
 * signal is sent again by the maintenance sweep (the match is durable).
 */
@Injectable()
export class WaitsService {
  private readonly logger = new Logger('Waits');

  constructor(private readonly temporal: TemporalClientService) {}

  async match(tx: Queryable, workspaceId: string, events: LedgerEvent[]): Promise<WaitWakes> {
    const tracks = events.filter((e) => e.type === 'track' && e.user_id);
    const out: WaitWakes = { wakes: [], legacy: [] };
    if (!tracks.length) return out;
    const names = tracks.map((e) => e.event_id.slice('track/'.length));
    const waits = (await tx.query(
      `SELECT w.run_id, w.path, w.workflow_id, w.recipient, w.event, w.match, w.timeout_at, r.context, r.refs
       FROM automation_run_waits w JOIN automation_runs r ON r.workspace_id = w.workspace_id AND r.id = w.run_id
       WHERE w.workspace_id = $1 AND w.matched_event_id IS NULL
         AND (w.recipient, w.event) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       ORDER BY w.created_at FOR UPDATE OF w`,
      [workspaceId, tracks.map((e) => e.user_id), names],
    )) as Array<{ run_id: string; path: string; workflow_id: string; recipient: string; event: string; match: unknown; timeout_at: Date | null; context: RunContext; refs: JsonObject }>;
    if (!waits.length) return out;

    const matched: Array<{ run_id: string; path: string; event_id: string }> = [];
    const taken = new Set<string>();
    tracks.forEach((event, i) => {
      for (const w of waits) {
        if (w.recipient !== event.user_id || w.event !== names[i]) continue;
        if (w.timeout_at === null) {
          out.legacy.push({ workflowId: w.workflow_id, event: { messageId: String(event.body.messageId ?? event.id), event: names[i], body: event.body } });
          continue;
        }
        const key = `${w.run_id}|${w.path}`;
        if (taken.has(key)) continue;
        const scope = { data: w.context.data, profile: w.context.profile, refs: w.refs, event: event.body, properties: event.body.properties ?? {} };
        if (w.match !== null && w.match !== undefined && !safeMatch(w.match, scope)) continue;
        taken.add(key);
        matched.push({ run_id: w.run_id, path: w.path, event_id: event.id });
        out.wakes.push({ workflowId: w.workflow_id, key: w.path });
      }
    });
    if (matched.length) {
      await tx.query(
        `UPDATE automation_run_waits w SET matched_event_id = m.event_id, matched_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS m(run_id uuid, path text, event_id bigint)
         WHERE w.workspace_id = $1 AND w.run_id = m.run_id AND w.path = m.path AND w.matched_event_id IS NULL`,
        [workspaceId, JSON.stringify(matched)],
      );
    }
    return out;
  }

  /** Sends the wake signals (after commit). Best effort: a run that ended meanwhile needs none; a lost one is resent by the sweep. */
  async wake({ wakes, legacy }: WaitWakes): Promise<void> {
    const send = async (workflowId: string, signal: () => Promise<void>) => {
      try {
        await this.temporal.withDeadline(signal);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) this.logger.warn(`could not wake ${workflowId} (the sweep will): ${(err as Error).message}`);
      }
    };
    await mapWithConcurrency(wakes, 16, (w) => send(w.workflowId, () => this.temporal.client.workflow.getHandle(w.workflowId).signal(runWakeSignal, { key: w.key })));
    await mapWithConcurrency(legacy, 16, (w) => send(w.workflowId, () => this.temporal.client.workflow.getHandle(w.workflowId).signal(routedEventSignal, w.event)));
  }
}

/** A `match` that cannot be evaluated on this event (a bad reference) does not match it. */
function safeMatch(condition: unknown, scope: Record<string, unknown>): boolean {
  try {
    return evaluateCondition(condition as never, scope);
  } catch {
    return false;
  }
}

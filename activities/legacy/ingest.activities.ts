import type { DataSource } from 'typeorm';
import type { IngestInput, IngestOutcome } from '../../workflows/shared/ingest-types';
import type { EventRunsService } from '../../src/automations/runs/event-runs.service';
import { legacyInput, RunPlanner } from '../../src/automations/runs/run-planner.service';
import type { WaitsService } from '../../src/automations/runs/waits.service';
import type { EventLogService } from '../../src/inbound/event-log.service';
import { identifyTraits } from '../../src/inbound/inbound-event';
import type { ProfilesService } from '../../src/profiles/profiles.service';
import type { TenantsService } from '../../src/tenants/tenants.service';
import { isPlainObject } from '../../src/common/json/json-merge';
import type { PreparedRun } from '../../workflows/shared/run-types';

export interface LegacyIngestDeps {
  db: DataSource;
  profiles: ProfilesService;
  tenants: TenantsService;
  eventLog: EventLogService;
  eventRuns: EventRunsService;
  planner: RunPlanner;
  waits: WaitsService;
}

/**
 * Activities of the per-event ingest workflow (workflows/legacy), no longer started: kept so
 * ingest workflows started before the batched pipeline finish. Same names and contracts.
 */
export function createLegacyIngestActivities({ db, profiles, tenants, eventLog, eventRuns, planner, waits }: LegacyIngestDeps) {
  const ledgerEvent = async (input: IngestInput) => {
    const row = await eventLog.getBody(input.workspaceId, input.eventLogId);
    return row?.body ? { id: input.eventLogId, type: input.type, event_id: input.eventId, user_id: input.recipientId, body: row.body } : null;
  };
  return {
    /** Idempotent: merging the same traits again, or re-adding a member, changes nothing. */
    async applyInboundEvent(input: IngestInput): Promise<void> {
      const event = await ledgerEvent(input);
      if (!event) return;
      if (input.type === 'identify') await profiles.merge(input.workspaceId, input.recipientId, identifyTraits(event.body));
      else if (input.type === 'group') {
        await tenants.applyGroup(input.workspaceId, String(event.body.groupId), isPlainObject(event.body.traits) ? event.body.traits : {}, input.recipientId);
      }
    },

    /** Idempotent: a wait is matched once; legacy runs drop an event they already have. */
    async routeEventToWaitingRuns(input: IngestInput): Promise<number> {
      const event = await ledgerEvent(input);
      if (!event) return 0;
      const wakes = await db.transaction((tx) => waits.match(tx, input.workspaceId, [event]));
      await waits.wake(wakes);
      return wakes.wakes.length + wakes.legacy.length;
    },

    /** Idempotent: run ids derive from the event and target. */
    async prepareEventRuns(input: IngestInput): Promise<{ prepared: PreparedRun[]; problems: string[] }> {
      const event = await ledgerEvent(input);
      if (!event) return { prepared: [], problems: [`event log entry ${input.eventLogId} not found`] };
      return db.transaction(async (tx) => {
        const requests = (await eventRuns.requestsFor(tx, input.workspaceId, [event])).get(event.id)!;
        const planned = await planner.plan(tx, input.workspaceId, requests.requests);
        return {
          prepared: planned.flatMap((p) => (p.ok ? [{ ...p.prepared, input: legacyInput(p.row, []), ignored: p.notStarted }] : [])),
          problems: [...requests.problems, ...planned.flatMap((p) => (p.ok ? [] : [p.problem]))],
        };
      });
    },

    /** Idempotent: only the first call counts. */
    async recordIngestOutcome(args: { input: IngestInput; outcome: IngestOutcome; runIds: string[]; error?: string }): Promise<void> {
      await eventLog.recordOutcome(args.input.workspaceId, args.input.eventLogId, args.outcome, args.runIds, args.error);
    },
  };
}

export type IngestActivities = ReturnType<typeof createLegacyIngestActivities>;

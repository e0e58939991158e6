import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { IngestInput, IngestOutcome } from '../workflows/shared/ingest-types';
import type { EventRunsPlan, EventRunsService } from '../src/automations/runs/event-runs.service';
import type { RunsService } from '../src/automations/runs/runs.service';
import type { EventLogService } from '../src/inbound/event-log.service';
import { identifyTraits } from '../src/inbound/inbound-event';
import type { ProfilesService } from '../src/profiles/profiles.service';
import type { TenantsService } from '../src/tenants/tenants.service';
import type { TemporalClientService } from '../src/temporal/temporal-client.service';
import { isPlainObject } from '../src/common/json/json-merge';
import { routedEventSignal } from '../workflows/automation-run/messages';

export interface IngestActivityDeps {
  profiles: ProfilesService;
  tenants: TenantsService;
  eventLog: EventLogService;
  eventRuns: EventRunsService;
  runs: RunsService;
  temporal: TemporalClientService;
}

/** Activities of the ingest workflow, built from the app's services by the worker. */
export function createIngestActivities({ profiles, tenants, eventLog, eventRuns, runs, temporal }: IngestActivityDeps) {
  return {
    /**
     * Applies an identify (profile deep-merge) or group (tenant upsert + membership).
     * Idempotent: merging the same traits again, or re-adding a member, changes nothing.
     */
    async applyInboundEvent(input: IngestInput): Promise<void> {
      const row = await eventLog.getBody(input.workspaceId, input.eventLogId);
      if (!row) throw ApplicationFailure.nonRetryable(`inbound event ${input.eventLogId} not found`, 'EventNotFound');
      const body = row.body;
      if (input.type === 'identify') {
        await profiles.merge(input.workspaceId, input.recipientId, identifyTraits(body));
      } else if (input.type === 'group') {
        const traits = isPlainObject(body.traits) ? body.traits : {};
        await tenants.applyGroup(input.workspaceId, String(body.groupId), traits, input.recipientId);
      }
    },

    /**
     * Signals a track event to the recipient's runs waiting for it. Idempotent: runs drop an
     * event they already have (by messageId).
     */
    async routeEventToWaitingRuns(input: IngestInput): Promise<number> {
      const event = input.eventId.slice('track/'.length);
      const waiting = await runs.waitingFor(input.workspaceId, input.recipientId, event);
      if (!waiting.length) return 0;
      const row = await eventLog.getBody(input.workspaceId, input.eventLogId);
      if (!row) return 0;
      let delivered = 0;
      for (const w of waiting) {
        try {
          await temporal.client.workflow.getHandle(w.workflow_id).signal(routedEventSignal, { messageId: input.messageId, event, body: row.body });
          delivered++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // the run just ended
        }
      }
      return delivered;
    },

    /** Records the runs the event starts. Idempotent: run ids derive from the event and target. */
    prepareEventRuns: (input: IngestInput): Promise<EventRunsPlan> => eventRuns.prepareForEvent(input.workspaceId, input.eventLogId),

    /** Records how the event ended and counts it in the catalog. Idempotent: only the first call counts. */
    async recordIngestOutcome(args: { input: IngestInput; outcome: IngestOutcome; runIds: string[]; error?: string }): Promise<void> {
      await eventLog.recordOutcome(args.input.workspaceId, args.input.eventLogId, args.outcome, args.runIds, args.error);
    },
  };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;

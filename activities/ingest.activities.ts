import { ApplicationFailure } from '@temporalio/common';
import type { IngestInput, IngestOutcome } from '../workflows/shared/ingest-types';
import type { EventLogService } from '../src/inbound/event-log.service';
import { identifyTraits } from '../src/inbound/inbound-event';
import type { ProfilesService } from '../src/profiles/profiles.service';
import type { TenantsService } from '../src/tenants/tenants.service';
import { isPlainObject } from '../src/common/json/json-merge';

export interface IngestActivityDeps {
  profiles: ProfilesService;
  tenants: TenantsService;
  eventLog: EventLogService;
}

/** Activities of the ingest workflow, built from the app's services by the worker. */
export function createIngestActivities({ profiles, tenants, eventLog }: IngestActivityDeps) {
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

    /** Records how the event ended and counts it in the catalog. Idempotent: only the first call counts. */
    async recordIngestOutcome(args: {
      input: IngestInput;
      outcome: IngestOutcome;
      runIds: string[];
      error?: string;
    }): Promise<void> {
      await eventLog.recordOutcome(args.input.workspaceId, args.input.eventLogId, args.outcome, args.runIds, args.error);
    },
  };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;

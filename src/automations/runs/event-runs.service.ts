import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isPlainObject, deepMerge, JsonObject } from '../../../workflows/shared/json';
import type { PreparedRun } from '../../../workflows/shared/run-types';
import { ApiError, notFound } from '../../common/errors/api-error';
import { derivedUuid } from '../../common/ids';
import { MappingsService } from '../mappings/mappings.service';
import { SEQUENCE_TARGET_PREFIX } from '../sequences/sequence-catalog';
import { RunsService, RunTarget } from './runs.service';

export interface EventRunsPlan {
  prepared: PreparedRun[];
  /** Targets that could not run (unpublished template, unknown template...), with why. */
  problems: string[];
}

/**
 * What an inbound event runs: its inline `properties.courier.automation` (ad hoc steps or a
 * template), else every automation linked to its event id. The run's data is the whole event
 * with the inline `data` merged over it; the recipient defaults to userId ?? anonymousId.
 */
@Injectable()
export class EventRunsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly runs: RunsService,
    private readonly mappings: MappingsService,
  ) {}

  /** Idempotent per (event, target, nonce): a retried activity prepares the same runs. A replay passes a fresh nonce. */
  async prepareForEvent(workspaceId: string, eventLogId: string, replayNonce?: string): Promise<EventRunsPlan> {
    const rows = (await this.db.query(
      'SELECT type, event_id, user_id, body FROM inbound_events WHERE workspace_id = $1 AND id = $2',
      [workspaceId, eventLogId],
    )) as Array<{ type: string; event_id: string; user_id: string | null; body: JsonObject }>;
    const event = rows[0];
    if (!event) throw notFound(`event log entry ${eventLogId} not found`);

    const inline = inlineAutomation(event.body);
    const targets: Array<{ key: string; target: RunTarget }> = [];
    if (inline && Array.isArray(inline.steps)) {
      targets.push({ key: 'inline-steps', target: { kind: 'adhoc', steps: inline.steps, cancelationToken: tokenOf(inline) } });
    } else if (inline && typeof inline.template === 'string') {
      targets.push({ key: `inline-template:${inline.template}`, target: { kind: 'template', ref: inline.template } });
    } else {
      const linked = (await this.mappings.targetsFor(workspaceId, [event.event_id]))[event.event_id] ?? [];
      for (const m of linked) {
        targets.push({
          key: m.target,
          target: m.type === 'sequence' ? { kind: 'sequence', name: m.target.slice(SEQUENCE_TARGET_PREFIX.length) } : { kind: 'template', ref: m.target },
        });
      }
    }

    const data = isPlainObject(inline?.data) ? deepMerge(event.body, inline!.data as JsonObject) : event.body;
    const recipient = typeof inline?.recipient === 'string' ? inline.recipient : event.user_id;
    const plan: EventRunsPlan = { prepared: [], problems: [] };
    for (const { key, target } of targets) {
      try {
        plan.prepared.push(
          await this.runs.prepare({
            workspaceId,
            target,
            context: {
              data,
              profile: isPlainObject(inline?.profile) ? (inline!.profile as JsonObject) : undefined,
              recipient,
              brand: typeof inline?.brand === 'string' ? inline.brand : null,
            },
            source: `${replayNonce ? 'replay' : 'rudderstack'}/${event.event_id}`,
            runId: derivedUuid(workspaceId, 'event', eventLogId, key, replayNonce ?? ''),
            eventLogId,
            eventId: event.event_id,
          }),
        );
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        plan.problems.push(`${key}: ${(err.getResponse() as { message: string }).message}`);
      }
    }
    return plan;
  }
}

/** `properties.courier.automation`, when the event carries one. */
export function inlineAutomation(body: JsonObject): JsonObject | undefined {
  const automation = (body.properties as JsonObject | undefined)?.courier?.automation;
  return isPlainObject(automation) ? automation : undefined;
}

function tokenOf(inline: JsonObject): string | null {
  const token = inline.cancelation_token ?? inline.cancelationToken ?? inline.cancellation_token;
  return typeof token === 'string' ? token : null;
}

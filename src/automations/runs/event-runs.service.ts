import { Injectable } from '@nestjs/common';
import { validateInterpolations } from '../../../workflows/shared/expressions';
import { isPlainObject, deepMerge, JsonObject } from '../../../workflows/shared/json';
import { derivedUuid } from '../../common/ids';
import type { Queryable } from '../../database/queryable';
import { MappingsService } from '../mappings/mappings.service';
import { SEQUENCE_TARGET_PREFIX } from '../sequences/sequence-catalog';
import type { RunRequest } from './run-planner.service';

/** A ledger row as the dispatcher hands it over. */
export interface LedgerEvent {
  id: string;
  type: string;
  event_id: string;
  user_id: string | null;
  body: JsonObject;
}

/** What one event asks to run: its run requests, or why its inline automation cannot run. */
export interface EventRunRequests {
  requests: RunRequest[];
  problems: string[];
}

/**
 * What inbound events run: an event's inline `properties.courier.automation` (ad hoc steps or a
 * template), else every automation linked to its event id. The run's data is the whole event
 * with the inline `data` merged over it; the recipient defaults to userId ?? anonymousId. Run
 * ids derive from (event, target, nonce): a retried batch plans the same runs; a replay passes
 * a fresh nonce.
 */
@Injectable()
export class EventRunsService {
  constructor(private readonly mappings: MappingsService) {}

  async requestsFor(tx: Queryable, workspaceId: string, events: LedgerEvent[], replayNonce?: string): Promise<Map<string, EventRunRequests>> {
    // An inline automation with steps or a template replaces the links; one with only data/profile feeds them.
    const needLinks = events.filter((e) => {
      const inline = inlineAutomation(e.body);
      return e.type !== 'alias' && (!inline || (inline.steps === undefined && typeof inline.template !== 'string'));
    });
    const links = await this.mappings.targetsFor(workspaceId, [...new Set(needLinks.map((e) => e.event_id))], tx);
    const out = new Map<string, EventRunRequests>();
    for (const event of events) {
      if (event.type === 'alias') {
        out.set(event.id, { requests: [], problems: [] });
        continue;
      }
      const given = (event.body.properties as JsonObject | undefined)?.courier?.automation;
      const inline = inlineAutomation(event.body);
      const problem = given !== undefined && given !== null && !inline ? 'properties.courier.automation must be a JSON object' : inline ? inlineProblem(inline) : undefined;
      if (problem) {
        out.set(event.id, { requests: [], problems: [problem] });
        continue;
      }
      const targets: Array<{ key: string; target: RunRequest['target'] }> = [];
      if (inline && inline.steps !== undefined) {
        targets.push({ key: 'inline-steps', target: { kind: 'adhoc', steps: inline.steps, cancelationToken: tokenOf(inline), root: 'properties.courier.automation.steps' } });
      } else if (inline && typeof inline.template === 'string') {
        targets.push({ key: `inline-template:${inline.template}`, target: { kind: 'template', ref: inline.template } });
      } else {
        for (const m of links[event.event_id] ?? []) {
          targets.push({
            key: m.target,
            target: m.type === 'sequence' ? { kind: 'sequence', name: m.target.slice(SEQUENCE_TARGET_PREFIX.length) } : { kind: 'template', ref: m.target },
          });
        }
      }
      const data = isPlainObject(inline?.data) ? deepMerge(event.body, inline!.data as JsonObject) : event.body;
      const recipient = typeof inline?.recipient === 'string' ? inline.recipient : event.user_id;
      out.set(event.id, {
        problems: [],
        requests: targets.map(({ key, target }) => ({
          target,
          context: {
            data,
            profile: isPlainObject(inline?.profile) ? (inline!.profile as JsonObject) : undefined,
            recipient,
            brand: typeof inline?.brand === 'string' ? inline.brand : null,
          },
          source: `${replayNonce ? 'replay' : 'rudderstack'}/${event.event_id}`,
          runId: derivedUuid(workspaceId, 'event', event.id, key, replayNonce ?? ''),
          eventLogId: event.id,
          eventId: event.event_id,
        })),
      });
    }
    return out;
  }
}

/** `properties.courier.automation`, when the event carries one. */
export function inlineAutomation(body: JsonObject): JsonObject | undefined {
  const automation = (body.properties as JsonObject | undefined)?.courier?.automation;
  return isPlainObject(automation) ? automation : undefined;
}

/**
 * What makes an inline automation unrunnable before its steps are parsed (the planner checks
 * those). The event is still accepted: it is logged `failed` with this reason, since RudderStack
 * drops a 4xx for good.
 */
function inlineProblem(inline: JsonObject): string | undefined {
  const root = 'properties.courier.automation';
  for (const field of ['template', 'recipient', 'brand', 'cancelation_token'] as const) {
    if (inline[field] !== undefined && typeof inline[field] !== 'string') return `${root}.${field} must be a string`;
  }
  const token = tokenOf(inline);
  const tokenProblem = token ? validateInterpolations(token) : undefined;
  if (tokenProblem) return `${root}.cancelation_token: ${tokenProblem}`;
  for (const field of ['data', 'profile'] as const) {
    if (inline[field] !== undefined && !isPlainObject(inline[field])) return `${root}.${field} must be a JSON object`;
  }
  return undefined;
}

function tokenOf(inline: JsonObject): string | null {
  const token = inline.cancelation_token ?? inline.cancelationToken ?? inline.cancellation_token;
  return typeof token === 'string' ? token : null;
}

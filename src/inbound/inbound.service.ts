import { Injectable } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { inlineAutomation } from '../automations/runs/event-runs.service';
import { parseSteps, StepValidationError } from '../automations/steps/step.schema';
import { badRequest } from '../common/errors/api-error';
import { isPlainObject } from '../common/json/json-merge';
import { validateInterpolations } from '../../workflows/shared/expressions';
import { mapWithConcurrency } from '../common/concurrency';
import { TemporalClientService } from '../temporal/temporal-client.service';
import type { IngestInput } from '../../workflows/shared/ingest-types';
import { SA_EVENT, SA_RECIPIENT, SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { ingestWorkflowId } from '../../workflows/shared/workflow-ids';
import { EventLogService } from './event-log.service';
import { NormalizedEvent, normalizeEvent, splitInboundBody } from './inbound-event';

export const MAX_BATCH_EVENTS = 1000;
const BATCH_CONCURRENCY = 32;

export interface AcceptedEvent {
  messageId: string;
  duplicate?: true;
}

@Injectable()
export class InboundService {
  constructor(private readonly eventLog: EventLogService, private readonly temporal: TemporalClientService) {}

  /**
   * Validates every event first (a bad one rejects the request, nothing is stored), then makes
   * each durable. Answers a single event with `{ messageId }`, a batch with `{ results }`.
   */
  async accept(workspaceId: string, body: unknown): Promise<AcceptedEvent | { results: AcceptedEvent[] }> {
    const items = splitInboundBody(body);
    if (items.length === 0) throw badRequest('batch must contain at least one event');
    if (items.length > MAX_BATCH_EVENTS) throw badRequest(`batch must contain at most ${MAX_BATCH_EVENTS} events`);
    const events = items.map(({ raw, path }) => {
      const event = normalizeEvent(raw, path);
      if (event.type === 'track') validateInlineAutomation(event, path);
      return event;
    });
    const single = items.length === 1 && items[0].path === '';
    if (single) return this.ingest(workspaceId, events[0]);
    return { results: await this.ingestMany(workspaceId, events) };
  }

  /**
   * The ingest path for a batch, with the same guarantees as `ingest` but one statement for all
   * the inserts and one for all the flips, and the workflow starts in parallel. A messageId
   * repeated inside the batch counts as a duplicate of its first occurrence.
   */
  private async ingestMany(workspaceId: string, events: NormalizedEvent[]): Promise<AcceptedEvent[]> {
    const firsts = new Map<string, NormalizedEvent>();
    for (const e of events) if (!firsts.has(e.messageId)) firsts.set(e.messageId, e);
    const unique = [...firsts.values()];
    const inserted = await this.eventLog.insertReceivedMany(workspaceId, unique);
    const existing = await this.eventLog.findByMessageIds(workspaceId, unique.filter((e) => !inserted.has(e.messageId)).map((e) => e.messageId));
    const ids = new Map<string, string>(inserted);
    const alreadyAccepted = new Set<string>();
    for (const [messageId, row] of existing) {
      ids.set(messageId, row.id);
      if (row.state === 'accepted') alreadyAccepted.add(messageId);
    }
    const toStart = unique.filter((e) => !alreadyAccepted.has(e.messageId));
    await mapWithConcurrency(toStart, BATCH_CONCURRENCY, (e) => this.startIngest(workspaceId, e, ids.get(e.messageId)!));
    const flipped = await this.eventLog.markAcceptedMany(toStart.map((e) => ids.get(e.messageId)!));
    const seen = new Set<string>();
    const results: AcceptedEvent[] = [];
    const duplicateIds: string[] = [];
    for (const e of events) {
      const id = ids.get(e.messageId)!;
      const first = !seen.has(e.messageId);
      seen.add(e.messageId);
      if (first && flipped.has(id)) results.push({ messageId: e.messageId });
      else {
        results.push({ messageId: e.messageId, duplicate: true });
        duplicateIds.push(id);
      }
    }
    await this.eventLog.countDuplicates(duplicateIds);
    return results;
  }

  /**
   * The ingest path: log the event as `received` (unique per workspace + messageId), start
   * its workflow under an id derived from the same key ("already started" is success), then
   * mark it `accepted`. Only an accepted row is a duplicate; a row left `received` by a
   * failed attempt is started again by the retry. Exactly one caller flips a row to accepted,
   * and only that caller answers without `duplicate`.
   */
  async ingest(workspaceId: string, event: NormalizedEvent): Promise<AcceptedEvent> {
    let id = await this.eventLog.insertReceived(workspaceId, event);
    if (!id) {
      const existing = await this.eventLog.findByMessageId(workspaceId, event.messageId);
      if (!existing) throw new Error(`inbound event ${event.messageId} vanished after a conflict`);
      id = existing.id;
      if (existing.state === 'accepted') return this.duplicate(id, event.messageId);
    }
    await this.startIngest(workspaceId, event, id);
    if (await this.eventLog.markAccepted(id)) return { messageId: event.messageId };
    return this.duplicate(id, event.messageId);
  }

  /** Starts the event's ingest workflow; "already started" is success (the id is the event's key). */
  private async startIngest(workspaceId: string, event: NormalizedEvent, eventLogId: string): Promise<void> {
    const input: IngestInput = {
      workspaceId,
      eventLogId,
      messageId: event.messageId,
      type: event.type,
      eventId: event.eventId,
      recipientId: event.recipientId,
    };
    await this.temporal.startIdempotent('ingestWorkflow', {
      taskQueue: this.temporal.taskQueue,
      workflowId: ingestWorkflowId(workspaceId, event.messageId),
      args: [input],
      // A closed ingest workflow must never run again for the same messageId.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: SA_WORKSPACE, value: workspaceId },
        { key: SA_EVENT, value: event.eventId.slice(0, 1000) },
        { key: SA_RECIPIENT, value: event.recipientId },
      ],
    });
  }

  private async duplicate(id: string, messageId: string): Promise<AcceptedEvent> {
    await this.eventLog.countDuplicate(id);
    return { messageId, duplicate: true };
  }
}

/** An inline `properties.courier.automation` is checked at the edge, so a bad step is a 400, not a failed run. */
function validateInlineAutomation(event: NormalizedEvent, path: string): void {
  const automation = inlineAutomation(event.body);
  const root = `${path}properties.courier.automation`;
  if (automation === undefined) {
    const given = (event.body.properties as Record<string, any> | undefined)?.courier?.automation;
    if (given !== undefined && given !== null) throw badRequest(`${root} must be a JSON object`);
    return;
  }
  if (automation.steps !== undefined) {
    try {
      parseSteps(automation.steps, `${root}.steps`);
    } catch (err) {
      if (err instanceof StepValidationError) throw badRequest(err.problems.join('; '));
      throw err;
    }
  }
  for (const field of ['template', 'recipient', 'brand', 'cancelation_token'] as const) {
    if (automation[field] !== undefined && typeof automation[field] !== 'string') throw badRequest(`${root}.${field} must be a string`);
  }
  const token = automation.cancelation_token ?? automation.cancelationToken ?? automation.cancellation_token;
  const tokenProblem = typeof token === 'string' ? validateInterpolations(token) : undefined;
  if (tokenProblem) throw badRequest(`${root}.cancelation_token: ${tokenProblem}`);
  for (const field of ['data', 'profile'] as const) {
    if (automation[field] !== undefined && !isPlainObject(automation[field])) throw badRequest(`${root}.${field} must be a JSON object`);
  }
}

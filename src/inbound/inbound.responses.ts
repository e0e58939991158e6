import { z } from 'zod';
import { MappingTargetSchema } from '../automations/automations.responses';
import { component, dateTime, jsonObject, page } from '../common/openapi/schemas';

const AcceptedEvent = z.object({ messageId: z.string(), duplicate: z.literal(true).optional().describe('already accepted before: nothing new is done') });

export const AcceptedSchema = component(
  'InboundAccepted',
  z.union([AcceptedEvent, z.object({ results: z.array(AcceptedEvent).describe('one per event of a batch, in order') })]),
  'Durable: each event is in the ledger',
);

export const RejectionPageSchema = component(
  'InboundRejectionPage',
  z.object({
    items: z.array(z.object({ reason: z.string(), count: z.int(), first_at: dateTime(), last_at: dateTime(), sample: z.string().nullable().describe("the latest refused request's error and the start of its body") })),
    has_more: z.boolean(),
    cursor: z.string().nullable(),
    total: z.int().describe('refused requests over all reasons'),
  }),
);

export const CatalogPageSchema = page(
  'EventCatalogPage',
  component(
    'EventCatalogEntry',
    z.object({
      event_id: z.string().describe('track/<event>, identify, group, ...'),
      type: z.string(),
      count: z.int(),
      first_seen: dateTime(),
      last_received: dateTime(),
      sample: jsonObject().describe('the latest event received with this id'),
      automations: z.array(MappingTargetSchema),
    }),
  ),
);

export const EventLogEntrySchema = component(
  'EventLogEntry',
  z.object({
    id: z.string(),
    message_id: z.string(),
    type: z.enum(['identify', 'track', 'group', 'page', 'screen', 'alias']),
    event_id: z.string(),
    user_id: z.string().nullable(),
    received_at: dateTime(),
    state: z.enum(['received', 'accepted']),
    status: z.enum(['pending', 'processed', 'unmapped', 'failed']),
    run_ids: z.array(z.string()),
    error: z.string().nullable(),
    processed_at: dateTime().nullable(),
    duplicate_count: z.int(),
    body: jsonObject().nullable().describe('null once retention pruned it'),
  }),
);
export const EventLogPageSchema = page('EventLogPage', EventLogEntrySchema);

export const ReplaySchema = component(
  'EventReplay',
  z.object({
    event_log_id: z.string(),
    run_ids: z.array(z.string()),
    ignored: z.array(z.object({ run_id: z.string(), reason: z.string() })),
    problems: z.array(z.string()),
  }),
);

export const BulkReplaySchema = component(
  'BulkEventReplay',
  z.object({
    id: z.string(),
    status: z.enum(['RUNNING', 'COMPLETED', 'CANCELED']),
    filter: z.object({ type: z.string().optional(), event: z.string().optional(), status: z.string().optional() }).describe("the event log's filter it replays"),
    max_events: z.int(),
    progress: z.object({
      total: z.int().describe('events matching when it started (at most max_events)'),
      processed: z.int(),
      runs_started: z.int(),
      problems: z.int(),
    }),
    last_problem: z.string().nullable(),
    workflow_id: z.string().describe('event-replay:<workspace>:<id>'),
    created_at: dateTime(),
    updated_at: dateTime(),
    finished_at: dateTime().nullable(),
  }),
);
export const BulkReplayPageSchema = page('BulkEventReplayPage', BulkReplaySchema);

export const EventLinksSchema = component('EventAutomations', z.object({ event_id: z.string(), items: z.array(MappingTargetSchema) }));

export const EventLinkSchema = component('EventAutomationLink', MappingTargetSchema.extend({ event_id: z.string() }));

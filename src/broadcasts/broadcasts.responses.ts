import { z } from 'zod';
import { component, dateTime, jsonObject, page } from '../common/openapi/schemas';
import { BROADCAST_STATUSES } from './broadcasts.service';

/** Who a broadcast goes to: exactly one of these. */
export const RecipientSourceSchema = component(
  'RecipientSource',
  z.union([z.object({ list_id: z.string() }), z.object({ list_pattern: z.string() }), z.object({ audience_id: z.string() }), z.object({ tenant_id: z.string() })]),
);

export const BroadcastSchema = component(
  'Broadcast',
  z.object({
    id: z.string(),
    kind: z.enum(['broadcast', 'send']).describe('send: a POST /send to a list, pattern or audience'),
    name: z.string().nullable(),
    source: RecipientSourceSchema,
    target: z.union([z.object({ template: z.string().nullable() }), z.object({ automation: z.string() }), z.object({ sequence: z.string() })]),
    data: jsonObject(),
    status: z.enum(BROADCAST_STATUSES),
    send_at: z.string().nullable().describe('an instant, or with use_recipient_timezone a local date-time without an offset'),
    use_recipient_timezone: z.boolean(),
    rate_per_second: z.number().nullable(),
    progress: z.object({ targeted: z.int(), sent: z.int(), filtered: z.int(), failed: z.int(), pending: z.int() }),
    error: z.string().nullable(),
    created_at: dateTime(),
    updated_at: dateTime(),
    started_at: dateTime().nullable(),
    completed_at: dateTime().nullable(),
  }),
);
export const BroadcastPageSchema = page('BroadcastPage', BroadcastSchema);

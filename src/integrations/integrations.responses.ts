import { z } from 'zod';
import { component, dateTime } from '../common/openapi/schemas';

export const RudderstackIntegrationSchema = component(
  'RudderstackIntegration',
  z.object({
    write_key: z.string().describe('masked'),
    data_plane_url: z.string(),
    enabled: z.boolean(),
    journey_events: z.boolean(),
    preference_events: z.boolean(),
    status: z.enum(['ok', 'sending', 'retrying', 'failing', 'disabled']),
    retrying_since: dateTime().nullable(),
    last_error: z.string().nullable(),
    last_error_at: dateTime().nullable(),
    last_success_at: dateTime().nullable(),
    events_sent: z.int(),
    events_pending: z.int(),
    oldest_pending_at: dateTime().nullable(),
    updated_at: dateTime(),
  }),
);

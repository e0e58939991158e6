import { z } from 'zod';
import { component, dateTime, json, page } from '../common/openapi/schemas';

export const AudienceSchema = component(
  'Audience',
  z.object({
    id: z.string(),
    name: z.string().nullable(),
    filter: json().describe('the structured condition over { profile, tenants }'),
    member_count: z.int(),
    status: z.enum(['READY', 'COMPUTING']),
    progress: z.object({ processed: z.int(), total: z.int() }).nullable().describe("the latest recompute's progress"),
    created_at: dateTime(),
    updated_at: dateTime(),
  }),
);
export const AudiencePageSchema = page('AudiencePage', AudienceSchema);
export const AudienceMemberPageSchema = page('AudienceMemberPage', z.object({ user_id: z.string(), entered_at: dateTime() }));

import { z } from 'zod';
import { component, jsonObject, page } from '../common/openapi/schemas';

export const TenantSchema = component(
  'Tenant',
  z.object({
    id: z.string(),
    name: z.string().nullable(),
    parent_tenant_id: z.string().nullable(),
    properties: jsonObject(),
    user_profile: jsonObject().describe("default profile values for the tenant's members"),
    type: z.literal('tenant'),
  }),
);

export const MembershipSchema = component(
  'TenantMembership',
  z.object({ user_id: z.string(), tenant_id: z.string(), profile: jsonObject().describe('per-tenant profile of the member'), type: z.literal('user') }),
);

export const MembershipPageSchema = page('TenantMembershipPage', MembershipSchema);

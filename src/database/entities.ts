import { InboundEventType } from '../inbound/event-type.entity';
import { InboundEvent } from '../inbound/inbound-event.entity';
import { Profile } from '../profiles/profile.entity';
import { TenantMembership } from '../tenants/tenant-membership.entity';
import { Tenant } from '../tenants/tenant.entity';
import { ApiKey } from '../workspaces/api-key.entity';
import { Workspace } from '../workspaces/workspace.entity';

/** Every entity, in one list shared by the app, the worker and the migration CLI. */
export const ENTITIES = [Workspace, ApiKey, Profile, Tenant, TenantMembership, InboundEvent, InboundEventType];

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../common/errors/api-error';
import { AudienceMembershipService, MembershipChanges } from '../audiences/audience-membership.service';
import { Keyset, Page } from '../common/http/pagination';

const BY_USER = new Keyset([{ column: 'user_id', type: 'text' }], 'ASC');
const BY_TENANT = new Keyset([{ column: 'tenant_id', type: 'text' }], 'ASC');
import { deepMerge, JsonObject } from '../common/json/json-merge';
import { TenantMembership } from './tenant-membership.entity';
import { Tenant } from './tenant.entity';

export interface TenantView {
  id: string;
  name: string | null;
  parent_tenant_id: string | null;
  properties: JsonObject;
  user_profile: JsonObject;
  type: 'tenant';
}

export interface MembershipView {
  user_id: string;
  tenant_id: string;
  profile: JsonObject;
  type: 'user';
}

export interface TenantInput {
  name?: string | null;
  parent_tenant_id?: string | null;
  properties?: JsonObject;
  user_profile?: JsonObject;
}

@Injectable()
export class TenantsService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly audiences: AudienceMembershipService) {}

  async get(workspaceId: string, id: string): Promise<TenantView> {
    const row = await this.db.getRepository(Tenant).findOneBy({ workspaceId, id });
    if (!row) throw notFound(`tenant ${JSON.stringify(id)} not found`);
    return toTenantView(row);
  }

  /** PUT semantics: the tenant becomes exactly what is given. */
  async put(workspaceId: string, id: string, input: TenantInput): Promise<TenantView> {
    await this.db.getRepository(Tenant).upsert(
      {
        workspaceId,
        id,
        name: input.name ?? null,
        parentTenantId: input.parent_tenant_id ?? null,
        properties: deepMerge({}, input.properties ?? {}),
        userProfile: deepMerge({}, input.user_profile ?? {}),
      },
      ['workspaceId', 'id'],
    );
    return this.get(workspaceId, id);
  }

  /**
   * What a RudderStack `group` call does: upsert the tenant (name from traits.name, the other
   * traits deep-merged into properties) and add the user as a member. Idempotent. Joins the
   * caller's transaction when given one (a dispatcher batch).
   */
  async applyGroup(workspaceId: string, tenantId: string, traits: JsonObject, userId: string, inTransaction?: EntityManager): Promise<void> {
    const { name, ...properties } = traits;
    const transaction = (fn: (tx: EntityManager) => Promise<void>) => (inTransaction ? fn(inTransaction) : this.db.transaction(fn));
    await transaction(async (tx) => {
      const repo = tx.getRepository(Tenant);
      await repo.createQueryBuilder().insert().values({ workspaceId, id: tenantId, properties: {}, userProfile: {} }).orIgnore().execute();
      const row = await repo
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.workspace_id = :workspaceId AND t.id = :tenantId', { workspaceId, tenantId })
        .getOneOrFail();
      await repo.update(
        { workspaceId, id: tenantId },
        {
          name: typeof name === 'string' ? name : name == null ? row.name : String(name),
          properties: deepMerge(row.properties, properties),
        },
      );
      await this.addMember(tx, workspaceId, tenantId, userId);
    });
  }

  /** Deletes the tenant and its memberships; its members' audience membership follows (filters on `tenants`). */
  async delete(workspaceId: string, id: string): Promise<void> {
    let changes: MembershipChanges | undefined;
    await this.db.transaction(async (tx) => {
      const members = await this.audiences.usersOfTenant(tx, workspaceId, id);
      await this.audiences.lockUsers(tx, workspaceId, members);
      const res = await tx.getRepository(Tenant).delete({ workspaceId, id });
      if (!res.affected) throw notFound(`tenant ${JSON.stringify(id)} not found`);
      changes = await this.audiences.refresh(tx, workspaceId, members);
    });
    this.audiences.wake(changes);
  }

  async listMembers(workspaceId: string, tenantId: string, limit: number, cursor?: string): Promise<Page<MembershipView>> {
    await this.get(workspaceId, tenantId);
    const [after] = BY_USER.decode(cursor) ?? [];
    const qb = this.db
      .getRepository(TenantMembership)
      .createQueryBuilder('m')
      .where('m.workspace_id = :workspaceId AND m.tenant_id = :tenantId', { workspaceId, tenantId })
      .orderBy('m.user_id', 'ASC')
      .limit(limit + 1);
    if (after !== undefined) qb.andWhere('m.user_id > :after', { after });
    return BY_USER.pageOf(await qb.getMany(), limit, toMembershipView, (m) => [m.userId]);
  }

  async listUserTenants(workspaceId: string, userId: string, limit: number, cursor?: string): Promise<Page<MembershipView>> {
    const [after] = BY_TENANT.decode(cursor) ?? [];
    const qb = this.db
      .getRepository(TenantMembership)
      .createQueryBuilder('m')
      .where('m.workspace_id = :workspaceId AND m.user_id = :userId', { workspaceId, userId })
      .orderBy('m.tenant_id', 'ASC')
      .limit(limit + 1);
    if (after !== undefined) qb.andWhere('m.tenant_id > :after', { after });
    return BY_TENANT.pageOf(await qb.getMany(), limit, toMembershipView, (m) => [m.tenantId]);
  }

  async getMembership(workspaceId: string, userId: string, tenantId: string): Promise<MembershipView> {
    const row = await this.db.getRepository(TenantMembership).findOneBy({ workspaceId, userId, tenantId });
    if (!row) throw notFound(`user ${JSON.stringify(userId)} is not a member of tenant ${JSON.stringify(tenantId)}`);
    return toMembershipView(row);
  }

  async putMembership(workspaceId: string, userId: string, tenantId: string, profile?: JsonObject): Promise<MembershipView> {
    await this.get(workspaceId, tenantId);
    const changes = await this.db.transaction(async (tx) => {
      await this.audiences.lockUsers(tx, workspaceId, [userId]);
      await tx.getRepository(TenantMembership).upsert(
        { workspaceId, tenantId, userId, profile: deepMerge({}, profile ?? {}) },
        ['workspaceId', 'tenantId', 'userId'],
      );
      return this.audiences.refresh(tx, workspaceId, [userId]);
    });
    this.audiences.wake(changes);
    return this.getMembership(workspaceId, userId, tenantId);
  }

  async deleteMembership(workspaceId: string, userId: string, tenantId: string): Promise<void> {
    const changes = await this.db.transaction(async (tx) => {
      await this.audiences.lockUsers(tx, workspaceId, [userId]);
      const res = await tx.getRepository(TenantMembership).delete({ workspaceId, userId, tenantId });
      if (!res.affected) throw notFound(`user ${JSON.stringify(userId)} is not a member of tenant ${JSON.stringify(tenantId)}`);
      return this.audiences.refresh(tx, workspaceId, [userId]);
    });
    this.audiences.wake(changes);
  }

  private async addMember(tx: EntityManager, workspaceId: string, tenantId: string, userId: string): Promise<void> {
    await tx
      .getRepository(TenantMembership)
      .createQueryBuilder()
      .insert()
      .values({ workspaceId, tenantId, userId, profile: {} })
      .orIgnore()
      .execute();
  }
}

function toTenantView(row: Tenant): TenantView {
  return {
    id: row.id,
    name: row.name,
    parent_tenant_id: row.parentTenantId,
    properties: row.properties,
    user_profile: row.userProfile,
    type: 'tenant',
  };
}

function toMembershipView(row: TenantMembership): MembershipView {
  return { user_id: row.userId, tenant_id: row.tenantId, profile: row.profile, type: 'user' };
}

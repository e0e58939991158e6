import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import type { Queryable } from '../database/queryable';
import { shardOf } from '../inbound/shards';
import { WorkflowWaker } from '../temporal/workflow-waker.service';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { dispatcherWorkflowId } from '../../workflows/shared/workflow-ids';
import { matches, readsTenants } from './audience-filter';
import { AppliedChanges, AudienceMembersRepository, MembershipDecision, WorkspaceAudiences } from './audience-members.repository';

/** How long a process trusts its list of a workspace's audiences (PUT/DELETE in this process drop it at once). */
export const AUDIENCE_CACHE_TTL_MS = 2_000;
/**
 * A recompute waits this long before its first page, so every process's cached list already has
 * the new filter: a refresh that used an older list locked its profiles before the recompute's
 * page, which then waits for it and corrects it.
 */
export const RECOMPUTE_SETTLE_MS = AUDIENCE_CACHE_TTL_MS + 500;

export interface MembershipChanges extends AppliedChanges {
  workspaceId: string;
}

/** Users per refresh statement (a tenant delete may touch many). */
const REFRESH_CHUNK = 1000;

const NONE = (workspaceId: string): MembershipChanges => ({ workspaceId, entered: 0, exited: 0, shards: [] });

/**
 * Keeps audience membership current as profiles change (SPEC section 8), without scanning:
 * callers pass the users whose profile or tenant membership changed, in their own transaction,
 * after the change. One cached lookup for the workspace's audiences (a workspace with none costs
 * nothing more), one query for the users' profiles, tenants and current audiences, one
 * statement for the inserts, deletes and their entered/exited events in the inbound ledger.
 */
@Injectable()
export class AudienceMembershipService {
  private readonly cache = new LRUCache<string, WorkspaceAudiences>({ max: 10_000, ttl: AUDIENCE_CACHE_TTL_MS });

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly repo: AudienceMembersRepository,
    private readonly waker: WorkflowWaker,
  ) {}

  /** Drops this process's cached list (after a PUT or DELETE here). */
  invalidate(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }

  async audiencesOf(q: Queryable, workspaceId: string): Promise<WorkspaceAudiences> {
    const hit = this.cache.get(workspaceId);
    if (hit) return hit;
    const loaded = await this.repo.loadAudiences(q, workspaceId);
    const audiences = { ...loaded, readsTenants: loaded.list.some((a) => readsTenants(a.filter)) };
    this.cache.set(workspaceId, audiences);
    return audiences;
  }

  /**
   * Re-evaluates the given users against every audience of the workspace, in the caller's
   * transaction (which should hold the users' profile row locks, or have deleted the rows: this
   * locks them too, in the order given after sorting, so concurrent refreshes and recompute pages
   * of one user serialise). Events go to the ledger in the same transaction; call wake() after
   * the commit unless the caller is the dispatcher of those shards (it drains them next anyway).
   */
  async refresh(tx: Queryable, workspaceId: string, userIds: string[]): Promise<MembershipChanges> {
    if (!userIds.length) return NONE(workspaceId);
    const first = await this.audiencesOf(tx, workspaceId);
    if (!first.list.length) return NONE(workspaceId);
    const all = [...new Set(userIds)].sort();
    const total = NONE(workspaceId);
    const shards = new Set<number>();
    for (let i = 0; i < all.length; i += REFRESH_CHUNK) {
      const part = await this.refreshSorted(tx, workspaceId, all.slice(i, i + REFRESH_CHUNK));
      total.entered += part.entered;
      total.exited += part.exited;
      part.shards.forEach((s) => shards.add(s));
    }
    total.shards = [...shards];
    return total;
  }

  /**
   * Before a change that is not to the profile itself (a tenant membership), locks the users'
   * profiles, so the change and its refresh serialise with other writers and recompute pages.
   * Costs nothing in a workspace without audiences.
   */
  async lockUsers(tx: Queryable, workspaceId: string, userIds: string[]): Promise<void> {
    if (!userIds.length || !(await this.audiencesOf(tx, workspaceId)).list.length) return;
    await this.repo.lockProfiles(tx, workspaceId, [...new Set(userIds)].sort());
  }

  /** The members of a tenant about to be deleted, when some audience reads tenants (else none need a refresh). */
  async usersOfTenant(tx: Queryable, workspaceId: string, tenantId: string): Promise<string[]> {
    if (!(await this.audiencesOf(tx, workspaceId)).readsTenants) return [];
    return this.repo.tenantMembers(tx, workspaceId, tenantId);
  }

  private async refreshSorted(tx: Queryable, workspaceId: string, users: string[]): Promise<MembershipChanges> {
    let audiences = await this.audiencesOf(tx, workspaceId);
    if (!audiences.list.length) return NONE(workspaceId);
    let states = await this.repo.userStates(tx, workspaceId, users, audiences.readsTenants);
    if (states[0].fingerprint !== audiences.fingerprint) {
      // Another process changed the audiences within the cache's TTL: reload, and read again if tenants are now needed.
      this.invalidate(workspaceId);
      const needed = audiences.readsTenants;
      audiences = await this.audiencesOf(tx, workspaceId);
      if (audiences.readsTenants && !needed) states = await this.repo.userStates(tx, workspaceId, users, true);
    }
    const decisions: MembershipDecision[] = [];
    for (const state of states) {
      const current = new Set(state.audiences);
      const scope = state.profile ? { profile: state.profile, tenants: state.tenants ?? [] } : null;
      for (const audience of audiences.list) {
        const member = scope !== null && matches(audience.filter, scope);
        if (member === current.has(audience.id)) continue;
        decisions.push({ a: audience.id, v: audience.version, u: state.user_id, enter: member, shard: this.shardOf(state.user_id) });
      }
    }
    if (!decisions.length) return NONE(workspaceId);
    return { workspaceId, ...(await this.repo.apply(tx, workspaceId, decisions)) };
  }

  shardOf(userId: string): number {
    return shardOf(userId, this.config.inbound.shards);
  }

  /** After the commit: wakes the dispatchers of the shards that got entered/exited events. Never throws (the sweep wakes what this misses). */
  wake(changes: MembershipChanges | undefined): void {
    if (!changes) return;
    for (const shard of changes.shards) {
      void this.waker.wake({
        workflowType: 'dispatcher',
        workflowId: dispatcherWorkflowId(changes.workspaceId, shard),
        args: [{ workspaceId: changes.workspaceId, shard }],
        signal: 'wake',
        typedSearchAttributes: [{ key: SA_WORKSPACE, value: changes.workspaceId }],
      });
    }
  }
}

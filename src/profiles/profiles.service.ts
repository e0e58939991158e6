import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { applyOperation, deepClone, JsonPatchError, Operation } from 'fast-json-patch';
import { DataSource, EntityManager } from 'typeorm';
import type { Queryable } from '../database/queryable';
import { AudienceMembershipService, MembershipChanges } from '../audiences/audience-membership.service';
import { badRequest, notFound } from '../common/errors/api-error';
import { deepMerge, isPlainObject, JsonObject } from '../common/json/json-merge';
import { mergeWithStrategy, MergeStrategy } from '../../workflows/shared/merge';
import { Profile } from './profile.entity';

@Injectable()
export class ProfilesService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly audiences: AudienceMembershipService) {}

  async get(workspaceId: string, userId: string): Promise<JsonObject | null> {
    const row = await this.db.getRepository(Profile).findOneBy({ workspaceId, userId });
    return row?.profile ?? null;
  }

  async getOrFail(workspaceId: string, userId: string): Promise<JsonObject> {
    const profile = await this.get(workspaceId, userId);
    if (!profile) throw notFound(`profile ${JSON.stringify(userId)} not found`);
    return profile;
  }

  /** Deep-merges `patch` into the stored profile, creating it if needed. Idempotent for the same patch. */
  merge(workspaceId: string, userId: string, patch: JsonObject): Promise<JsonObject> {
    return this.mutate(workspaceId, userId, (current) => deepMerge(current ?? {}, patch));
  }

  /**
   * Deep-merges many patches, in the order given, inside the caller's transaction: one statement
   * creates missing profiles, one locks them all (in a fixed order, so concurrent batches cannot
   * deadlock), one writes the results. A user's patches apply in order.
   */
  async mergeMany(tx: Queryable, workspaceId: string, patches: Array<{ userId: string; patch: JsonObject }>): Promise<void> {
    if (!patches.length) return;
    const userIds = [...new Set(patches.map((p) => p.userId))].sort();
    await tx.query(
      `INSERT INTO profiles (workspace_id, user_id, profile) SELECT $1, u, '{}'::jsonb FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING`,
      [workspaceId, userIds],
    );
    const rows = (await tx.query('SELECT user_id, profile FROM profiles WHERE workspace_id = $1 AND user_id = ANY($2) ORDER BY user_id FOR UPDATE', [
      workspaceId, userIds,
    ])) as Array<{ user_id: string; profile: JsonObject }>;
    const current = new Map(rows.map((r) => [r.user_id, r.profile]));
    for (const { userId, patch } of patches) current.set(userId, deepMerge(current.get(userId) ?? {}, patch));
    await tx.query(
      `UPDATE profiles p SET profile = v.profile, updated_at = now()
       FROM jsonb_to_recordset($2::jsonb) AS v(user_id text, profile jsonb) WHERE p.workspace_id = $1 AND p.user_id = v.user_id`,
      [workspaceId, JSON.stringify(userIds.map((u) => ({ user_id: u, profile: current.get(u) })))],
    );
  }

  replace(workspaceId: string, userId: string, profile: JsonObject): Promise<JsonObject> {
    return this.mutate(workspaceId, userId, () => deepMerge({}, profile));
  }

  /** Applies an RFC 6902 JSON Patch to an existing profile; a bad operation is a 400 naming it. */
  patch(workspaceId: string, userId: string, operations: Operation[]): Promise<JsonObject> {
    return this.mutate(workspaceId, userId, (current) => {
      if (!current) throw notFound(`profile ${JSON.stringify(userId)} not found`);
      // One operation at a time on a copy, so an error names its operation and changes nothing.
      let result: unknown = deepClone(current);
      operations.forEach((operation, index) => {
        try {
          result = applyOperation(result, operation, true, true, true, index).newDocument;
        } catch (err) {
          const message = err instanceof JsonPatchError ? err.message.split('\n')[0] : (err as Error).message;
          throw badRequest(`patch[${index}]: ${message}`);
        }
      });
      if (!isPlainObject(result)) throw badRequest('patch: the result must be a JSON object');
      return result;
    }, false);
  }

  /** update-profile step: writes the stored profile with a merge strategy. Idempotent for the same input. */
  applyStrategy(workspaceId: string, userId: string, profile: JsonObject, strategy: MergeStrategy): Promise<JsonObject> {
    return this.mutate(workspaceId, userId, (current) => mergeWithStrategy(strategy, current && Object.keys(current).length ? current : null, profile));
  }

  /** Deletes the profile; the user leaves every audience it was in (exited events) in the same transaction. */
  async delete(workspaceId: string, userId: string): Promise<boolean> {
    let changes: MembershipChanges | undefined;
    const deleted = await this.db.transaction(async (tx) => {
      const res = await tx.getRepository(Profile).delete({ workspaceId, userId });
      if (!res.affected) return false;
      changes = await this.audiences.refresh(tx, workspaceId, [userId]);
      return true;
    });
    this.audiences.wake(changes);
    return deleted;
  }

  /** Read-modify-write under a row lock, so concurrent merges never lose an update; audience membership follows in the same transaction. */
  private async mutate(
    workspaceId: string,
    userId: string,
    change: (current: JsonObject | null) => JsonObject,
    create = true,
  ): Promise<JsonObject> {
    let changes: MembershipChanges | undefined;
    const result = await this.db.transaction(async (tx: EntityManager) => {
      const repo = tx.getRepository(Profile);
      if (create) {
        await repo.createQueryBuilder().insert().values({ workspaceId, userId, profile: {} }).orIgnore().execute();
      }
      const row = await repo
        .createQueryBuilder('p')
        .setLock('pessimistic_write')
        .where('p.workspace_id = :workspaceId AND p.user_id = :userId', { workspaceId, userId })
        .getOne();
      const next = change(row?.profile ?? null);
      await repo.update({ workspaceId, userId }, { profile: next });
      changes = await this.audiences.refresh(tx, workspaceId, [userId]);
      return next;
    });
    this.audiences.wake(changes);
    return result;
  }
}

import { Injectable } from '@nestjs/common';
import type { Condition } from '../../workflows/shared/expressions';
import type { JsonObject } from '../common/json/json-merge';
import type { Queryable } from '../database/queryable';

/** An audience as membership needs it. */
export interface AudienceDef {
  id: string;
  filter: Condition;
  version: number;
}

/** The workspace's audiences, with the fingerprint of their (id, version) pairs. */
export interface WorkspaceAudiences {
  list: AudienceDef[];
  fingerprint: string | null;
  /** Some filter reads `tenants`: the user's tenant ids must be loaded. */
  readsTenants: boolean;
}

/** One user as a refresh sees it: null profile when there is none (deleted, or never created). */
export interface UserState {
  user_id: string;
  profile: JsonObject | null;
  tenants: string[] | null;
  audiences: string[];
  fingerprint: string | null;
}

/** One user of a recompute page. */
export interface PageRow {
  user_id: string;
  profile: JsonObject;
  tenants: string[] | null;
  member: boolean;
}

/** A membership to add (enter) or remove, for the audience at that filter version. */
export interface MembershipDecision {
  a: string;
  v: number;
  u: string;
  enter: boolean;
  /** The user's dispatcher shard (where its entered/exited event goes). */
  shard: number;
}

export interface AppliedChanges {
  entered: number;
  exited: number;
  /** Shards that got ledger rows (their dispatchers need a wake, unless it is the one writing them). */
  shards: number[];
}

/** Computed in SQL both when loading and when checking, so the two always agree. */
const FINGERPRINT = `(SELECT md5(string_agg(a.id || ':' || a.version, ',' ORDER BY a.id COLLATE "C")) FROM audiences a WHERE a.workspace_id = $1)`;
const TENANTS = `ARRAY(SELECT t.tenant_id FROM tenant_memberships t WHERE t.workspace_id = $1 AND t.user_id = {user} ORDER BY t.tenant_id)`;
/** Ledger message ids are at most 512 characters: a long user id is replaced by its hash there. */
const LEDGER_USER = `(CASE WHEN length(ch.user_id) > 256 THEN 'sha256-' || encode(sha256(convert_to(ch.user_id, 'UTF8')), 'hex') ELSE ch.user_id END)`;

/**
 * The SQL of audience membership: the audiences of a workspace, the state of changed users, a
 * recompute page, and the one statement that applies decisions and appends the entered/exited
 * events to the inbound ledger (the same rows `LedgerWriter` inserts: a `track` per change,
 * state accepted, in the user's dispatcher shard), all in the caller's transaction.
 */
@Injectable()
export class AudienceMembersRepository {
  async loadAudiences(q: Queryable, workspaceId: string): Promise<Omit<WorkspaceAudiences, 'readsTenants'>> {
    const rows = (await q.query(
      `SELECT a.id, a.filter, a.version, ${FINGERPRINT} AS fingerprint FROM audiences a WHERE a.workspace_id = $1 ORDER BY a.id COLLATE "C"`,
      [workspaceId],
    )) as Array<AudienceDef & { fingerprint: string }>;
    return { list: rows.map(({ id, filter, version }) => ({ id, filter, version })), fingerprint: rows[0]?.fingerprint ?? null };
  }

  /**
   * Each given user (in the given order, which is the lock order) with its profile locked FOR
   * UPDATE (a no-op for rows the caller's transaction already locked), its tenant ids when asked
   * for, the audiences it is in, and the current audiences fingerprint (to catch a stale cache).
   */
  async userStates(q: Queryable, workspaceId: string, userIds: string[], withTenants: boolean): Promise<UserState[]> {
    return (await q.query(
      `SELECT u.user_id, p.profile, ${withTenants ? TENANTS.replace('{user}', 'u.user_id') : 'NULL::text[]'} AS tenants,
         ARRAY(SELECT m.audience_id FROM audience_members m WHERE m.workspace_id = $1 AND m.user_id = u.user_id) AS audiences,
         ${FINGERPRINT} AS fingerprint
       FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, n)
       LEFT JOIN LATERAL (SELECT profile FROM profiles WHERE workspace_id = $1 AND user_id = u.user_id FOR UPDATE) p ON true
       ORDER BY u.n`,
      [workspaceId, userIds],
    )) as UserState[];
  }

  /** Locks the users' profile rows (that exist), in the order given: before a change that is not to the profile itself (tenant membership). */
  async lockProfiles(q: Queryable, workspaceId: string, userIds: string[]): Promise<void> {
    await q.query(
      `SELECT p.user_id FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, n)
       CROSS JOIN LATERAL (SELECT user_id FROM profiles WHERE workspace_id = $1 AND user_id = u.user_id FOR UPDATE) p ORDER BY u.n`,
      [workspaceId, userIds],
    );
  }

  /** The users in a tenant (before it is deleted). */
  async tenantMembers(q: Queryable, workspaceId: string, tenantId: string): Promise<string[]> {
    const rows = (await q.query(`SELECT user_id FROM tenant_memberships WHERE workspace_id = $1 AND tenant_id = $2`, [workspaceId, tenantId])) as Array<{ user_id: string }>;
    return rows.map((r) => r.user_id);
  }

  /** The audience's filter and version, share-locked so a filter change waits for this page (and the page sees whether it was superseded). */
  async lockAudience(q: Queryable, workspaceId: string, audienceId: string): Promise<{ filter: Condition; version: number } | undefined> {
    const [row] = (await q.query(`SELECT filter, version FROM audiences WHERE workspace_id = $1 AND id = $2 FOR SHARE`, [workspaceId, audienceId])) as Array<{
      filter: Condition;
      version: number;
    }>;
    return row;
  }

  /**
   * The next page of the workspace's profiles (keyset on user_id), share-locked so no profile
   * write interleaves with the page's decisions, with whether each is a member of the audience.
   */
  async page(q: Queryable, workspaceId: string, audienceId: string, after: string | null, limit: number, withTenants: boolean): Promise<PageRow[]> {
    const params: unknown[] = [workspaceId, audienceId, limit];
    if (after !== null) params.push(after);
    return (await q.query(
      `SELECT p.user_id, p.profile, ${withTenants ? TENANTS.replace('{user}', 'p.user_id') : 'NULL::text[]'} AS tenants,
         EXISTS (SELECT 1 FROM audience_members m WHERE m.workspace_id = $1 AND m.audience_id = $2 AND m.user_id = p.user_id) AS member
       FROM profiles p WHERE p.workspace_id = $1 ${after !== null ? 'AND p.user_id > $4' : ''}
       ORDER BY p.user_id LIMIT $3 FOR SHARE OF p`,
      params,
    )) as PageRow[];
  }

  /** Members of the audience without a profile (normally none: a profile delete removes them). */
  async orphans(q: Queryable, workspaceId: string, audienceId: string, limit: number): Promise<string[]> {
    const rows = (await q.query(
      `SELECT m.user_id FROM audience_members m WHERE m.workspace_id = $1 AND m.audience_id = $2
         AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.workspace_id = $1 AND p.user_id = m.user_id) LIMIT $3`,
      [workspaceId, audienceId, limit],
    )) as Array<{ user_id: string }>;
    return rows.map((r) => r.user_id);
  }

  /**
   * Applies decisions in one statement: inserts entries and deletes exits, each only while the
   * audience is still at the decision's filter version, and appends one ledger event per row
   * actually inserted or deleted: `track` `audience/<id>/entered|exited`, message id
   * `audience:<id>:<user>:entered|exited:<entered_at µs>` (a membership's entry and exit share
   * its start time; a retried transaction writes the same rows or, once committed, none).
   */
  async apply(q: Queryable, workspaceId: string, decisions: MembershipDecision[]): Promise<AppliedChanges> {
    if (!decisions.length) return { entered: 0, exited: 0, shards: [] };
    const [row] = (await q.query(
      `WITH d AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS d(a text, v int, u text, enter boolean, shard smallint)),
       ok AS (SELECT d.* FROM d JOIN audiences au ON au.workspace_id = $1 AND au.id = d.a AND au.version = d.v),
       ins AS (INSERT INTO audience_members (workspace_id, audience_id, user_id) SELECT $1, a, u FROM ok WHERE enter
               ON CONFLICT DO NOTHING RETURNING audience_id, user_id, entered_at),
       del AS (DELETE FROM audience_members m USING ok WHERE m.workspace_id = $1 AND NOT ok.enter AND m.audience_id = ok.a AND m.user_id = ok.u
               RETURNING m.audience_id, m.user_id, m.entered_at),
       ch AS (SELECT audience_id, user_id, entered_at, 'entered' AS kind FROM ins UNION ALL SELECT audience_id, user_id, entered_at, 'exited' FROM del),
       ev AS (SELECT ch.audience_id, ch.user_id, ok.shard, 'audience/' || ch.audience_id || '/' || ch.kind AS event,
                'audience:' || ch.audience_id || ':' || ${LEDGER_USER} || ':' || ch.kind || ':' || (extract(epoch from ch.entered_at) * 1000000)::bigint AS message_id
              FROM ch JOIN ok ON ok.a = ch.audience_id AND ok.u = ch.user_id),
       led AS (INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, shard, state)
               SELECT $1, message_id, 'track', 'track/' || event, user_id,
                 jsonb_build_object('type', 'track', 'event', event, 'userId', user_id, 'messageId', message_id,
                   'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   'properties', jsonb_build_object('audience_id', audience_id), 'context', jsonb_build_object('library', jsonb_build_object('name', 'herald'))),
                 shard, 'accepted'
               FROM ev ON CONFLICT (workspace_id, message_id) DO NOTHING RETURNING shard)
       SELECT (SELECT count(*) FROM ins)::int AS entered, (SELECT count(*) FROM del)::int AS exited, ARRAY(SELECT DISTINCT shard::int FROM led) AS shards`,
      [workspaceId, JSON.stringify(decisions)],
    )) as Array<AppliedChanges>;
    return row;
  }

  /** The workspace's unprocessed ledger rows, counted up to `max` (as BacklogService counts them for inbound's 429). */
  async backlog(q: Queryable, workspaceId: string, max: number): Promise<number> {
    const [{ n }] = (await q.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM inbound_events WHERE workspace_id = $1 AND outcome IS NULL AND shard IS NOT NULL LIMIT $2) t`,
      [workspaceId, max],
    )) as Array<{ n: number }>;
    return n;
  }

  /** Records a recompute page's progress; the last page marks the audience READY. Only for the version the page worked for. */
  async recordProgress(q: Queryable, workspaceId: string, audienceId: string, version: number, processed: number, done: boolean): Promise<void> {
    await q.query(
      `UPDATE audiences SET progress_processed = $4, progress_total = GREATEST(COALESCE(progress_total, 0), $4),
         status = CASE WHEN $5 THEN 'READY' ELSE status END, computed_at = CASE WHEN $5 THEN now() ELSE computed_at END
       WHERE workspace_id = $1 AND id = $2 AND version = $3`,
      [workspaceId, audienceId, version, processed, done],
    );
  }
}

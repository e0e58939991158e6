import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { matches, readsTenants } from './audience-filter';
import { AudienceMembersRepository, MembershipDecision } from './audience-members.repository';
import { AudienceMembershipService, MembershipChanges } from './audience-membership.service';

export interface RecomputePageRequest {
  workspaceId: string;
  audienceId: string;
  /** The filter version this recompute is for; a newer one supersedes it. */
  version: number;
  /** The last user id of the previous page (null: from the start). */
  after: string | null;
  /** Profiles processed by the previous pages. */
  processed: number;
  pageSize: number;
}

export type RecomputePageResult =
  | { status: 'more'; after: string; processed: number; entered: number; exited: number }
  /** The workspace's ledger backlog is high: the page was not done; try it again later. */
  | { status: 'busy'; backlog: number }
  | { status: 'done'; processed: number; entered: number; exited: number }
  | { status: 'superseded' };

/** Orphaned members (no profile) removed per final page; more are removed by the next recompute. */
const MAX_ORPHANS = 10_000;

/**
 * One page of an audience recompute (the activity of audienceRecomputeWorkflow): in one
 * transaction, under a share lock on the audience row (a filter change waits for the page, and
 * a page of a superseded version does nothing), evaluate the next `pageSize` profiles (share-
 * locked, so no profile write interleaves), apply the differences with their entered/exited
 * events, and record the progress. The last page also removes members whose profile is gone
 * and marks the audience READY. Idempotent: a retried page finds the memberships it already
 * wrote and changes nothing; its progress is computed from its input, not incremented.
 */
@Injectable()
export class AudienceRecomputeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly repo: AudienceMembersRepository,
    private readonly membership: AudienceMembershipService,
  ) {}

  async page(req: RecomputePageRequest, heartbeat: () => void = () => undefined): Promise<RecomputePageResult> {
    const { workspaceId, audienceId, version } = req;
    // Entered/exited events go through the ledger: leave inbound half its backlog bound (INBOUND_MAX_BACKLOG), so a big recompute never makes RudderStack see 429s.
    const limit = Math.max(1, Math.floor(this.config.inbound.maxBacklog / 2));
    const backlog = await this.repo.backlog(this.db, workspaceId, limit);
    if (backlog >= limit) return { status: 'busy', backlog };
    let changes: MembershipChanges | undefined;
    const result = await this.db.transaction(async (tx): Promise<RecomputePageResult> => {
      const audience = await this.repo.lockAudience(tx, workspaceId, audienceId);
      if (!audience || audience.version !== version) return { status: 'superseded' };
      const rows = await this.repo.page(tx, workspaceId, audienceId, req.after, req.pageSize, readsTenants(audience.filter));
      heartbeat();
      const decisions: MembershipDecision[] = [];
      for (const row of rows) {
        const member = matches(audience.filter, { profile: row.profile, tenants: row.tenants ?? [] });
        if (member !== row.member) decisions.push({ a: audienceId, v: version, u: row.user_id, enter: member, shard: this.membership.shardOf(row.user_id) });
      }
      const done = rows.length < req.pageSize;
      if (done) {
        for (const u of await this.repo.orphans(tx, workspaceId, audienceId, MAX_ORPHANS)) {
          decisions.push({ a: audienceId, v: version, u, enter: false, shard: this.membership.shardOf(u) });
        }
      }
      const applied = await this.repo.apply(tx, workspaceId, decisions);
      changes = { workspaceId, ...applied };
      const processed = req.processed + rows.length;
      await this.repo.recordProgress(tx, workspaceId, audienceId, version, processed, done);
      const counts = { processed, entered: applied.entered, exited: applied.exited };
      return done ? { status: 'done', ...counts } : { status: 'more', after: rows[rows.length - 1].user_id, ...counts };
    });
    this.membership.wake(changes);
    return result;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { DataSource } from 'typeorm';
import type { Condition } from '../../workflows/shared/expressions';
import { isPlainObject } from '../../workflows/shared/json';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { audienceRecomputeWorkflowId } from '../../workflows/shared/workflow-ids';
import type { AudienceRecomputeInput } from '../../workflows/audiences/audience-recompute.workflow';
import { badRequest, notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { temporalFailure } from '../temporal/temporal-errors';
import { WorkflowTerminator } from '../temporal/workflow-terminator.service';
import { filterProblem } from './audience-filter';
import { AudienceMembershipService, RECOMPUTE_SETTLE_MS } from './audience-membership.service';

export type AudienceStatus = 'READY' | 'COMPUTING';

export interface AudienceView {
  id: string;
  name: string | null;
  filter: Condition;
  member_count: number;
  status: AudienceStatus;
  /** The latest recompute's progress (it stays at processed = total once READY). */
  progress: { processed: number; total: number } | null;
  created_at: string;
  updated_at: string;
}

export interface AudienceMemberView {
  user_id: string;
  entered_at: string;
}

interface AudienceRow {
  id: string;
  name: string | null;
  filter: Condition;
  version: number;
  status: AudienceStatus;
  progress_processed: string | null;
  progress_total: string | null;
  member_count: number;
  created_at: Date;
  updated_at: Date;
}

/** Like subscription topic ids: letters, digits, _ . : - (at most 200). */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const BY_ID = new Keyset([{ column: 'id', type: 'text' }], 'ASC');
const BY_USER = new Keyset([{ column: 'user_id', type: 'text' }], 'ASC');
const COLUMNS = `a.id, a.name, a.filter, a.version, a.status, a.progress_processed, a.progress_total, a.created_at, a.updated_at,
  (SELECT count(*) FROM audience_members m WHERE m.workspace_id = a.workspace_id AND m.audience_id = a.id)::int AS member_count`;

/**
 * Audiences (SPEC section 8): `PUT/GET/DELETE /audiences/{id}` `{ name, filter }`. A new audience,
 * or a changed filter, bumps the audience's version, marks it COMPUTING and starts (or, for a
 * changed filter, restarts: terminate-existing) its recompute workflow, which pages through every
 * profile; membership then follows profile changes incrementally (AudienceMembershipService).
 */
@Injectable()
export class AudiencesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly membership: AudienceMembershipService,
    private readonly temporal: TemporalClientService,
    private readonly terminator: WorkflowTerminator,
  ) {}

  async put(workspaceId: string, id: string, body: unknown): Promise<AudienceView> {
    if (!ID.test(id)) throw badRequest('audience id must be letters, digits, _, ., : or - (at most 200)');
    if (!isPlainObject(body)) throw badRequest('body must be { name, filter }');
    const name = body.name === undefined || body.name === null ? null : body.name;
    if (name !== null && (typeof name !== 'string' || !name || name.length > 200)) throw badRequest('name must be a non-empty string of at most 200 characters');
    const problem = filterProblem(body.filter);
    if (problem) throw badRequest(problem);
    const filter = JSON.stringify(body.filter);

    // Row lock on the audience: concurrent PUTs of one audience apply one after the other.
    const start = await this.db.transaction(async (tx) => {
      const [current] = (await tx.query(
        `SELECT version, status, filter = $3::jsonb AS same FROM audiences WHERE workspace_id = $1 AND id = $2 FOR UPDATE`,
        [workspaceId, id, filter],
      )) as Array<{ version: number; status: AudienceStatus; same: boolean }>;
      if (current?.same) {
        await tx.query(`UPDATE audiences SET name = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2`, [workspaceId, id, name]);
        // A PUT repeated after a failed start (Temporal was down) resumes the recompute.
        return current.status === 'COMPUTING' ? { version: current.version, restart: false } : null;
      }
      const [{ total }] = (await tx.query(`SELECT count(*)::bigint AS total FROM profiles WHERE workspace_id = $1`, [workspaceId])) as Array<{ total: string }>;
      const [{ version }] = (await tx.query(
        `INSERT INTO audiences AS a (workspace_id, id, name, filter, status, progress_processed, progress_total) VALUES ($1, $2, $3, $4::jsonb, 'COMPUTING', 0, $5)
         ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, filter = EXCLUDED.filter, version = a.version + 1, status = 'COMPUTING',
           progress_processed = 0, progress_total = EXCLUDED.progress_total, updated_at = now()
         RETURNING version`,
        [workspaceId, id, name, filter, total],
      )) as Array<{ version: number }>;
      return { version, restart: true };
    });
    this.membership.invalidate(workspaceId);
    if (start) await this.startRecompute(workspaceId, id, start.version, start.restart);
    return this.get(workspaceId, id);
  }

  async get(workspaceId: string, id: string): Promise<AudienceView> {
    const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM audiences a WHERE a.workspace_id = $1 AND a.id = $2`, [workspaceId, id])) as AudienceRow[];
    if (!row) throw notFound(`audience ${JSON.stringify(id)} not found`);
    return toView(row);
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<AudienceView>> {
    const params: unknown[] = [workspaceId, limit + 1];
    const after = BY_ID.where(cursor, params);
    const rows = (await this.db.query(
      `SELECT ${COLUMNS} FROM audiences a WHERE a.workspace_id = $1 ${after ? `AND ${after}` : ''} ORDER BY a.id LIMIT $2`,
      params,
    )) as AudienceRow[];
    return BY_ID.pageOf(rows, limit, toView, (r) => [r.id]);
  }

  /** Removes the audience and its memberships (no exited events: the audience itself is gone), and stops its recompute. */
  async delete(workspaceId: string, id: string): Promise<void> {
    const [, affected] = (await this.db.query(`DELETE FROM audiences WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])) as [unknown, number];
    if (!affected) throw notFound(`audience ${JSON.stringify(id)} not found`);
    this.membership.invalidate(workspaceId);
    // Best effort: a recompute that outlives this finds its audience gone at its next page and ends.
    this.terminator.terminate([audienceRecomputeWorkflowId(workspaceId, id)], 'audience deleted');
  }

  async members(workspaceId: string, id: string, limit: number, cursor?: string): Promise<Page<AudienceMemberView>> {
    const params: unknown[] = [workspaceId, id, limit + 1];
    const after = BY_USER.where(cursor, params);
    const [exists] = (await this.db.query(`SELECT 1 FROM audiences WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])) as unknown[];
    if (!exists) throw notFound(`audience ${JSON.stringify(id)} not found`);
    const rows = (await this.db.query(
      `SELECT user_id, entered_at FROM audience_members WHERE workspace_id = $1 AND audience_id = $2 ${after ? `AND ${after}` : ''} ORDER BY user_id LIMIT $3`,
      params,
    )) as Array<{ user_id: string; entered_at: Date }>;
    return BY_USER.pageOf(rows, limit, (r) => ({ user_id: r.user_id, entered_at: r.entered_at.toISOString() }), (r) => [r.user_id]);
  }

  /**
   * Starts the audience's recompute for `version`. A changed filter terminates a recompute still
   * running for the old one (terminate-existing: one workflow per audience, its pages for the old
   * version would be wasted work; they also check the version, so one already in flight writes
   * nothing). A resumed one joins the run in progress (use-existing).
   */
  private async startRecompute(workspaceId: string, audienceId: string, version: number, restart: boolean): Promise<void> {
    const input: AudienceRecomputeInput = {
      workspaceId,
      audienceId,
      version,
      pageSize: this.config.audiences.recomputePageSize,
      pagesPerRun: this.config.audiences.recomputePagesPerRun,
      settleMs: RECOMPUTE_SETTLE_MS,
    };
    try {
      await this.temporal.withDeadline(() =>
        this.temporal.client.workflow.start('audienceRecomputeWorkflow', {
          taskQueue: this.temporal.taskQueue,
          workflowId: audienceRecomputeWorkflowId(workspaceId, audienceId),
          args: [input],
          workflowIdConflictPolicy: restart ? WorkflowIdConflictPolicy.TERMINATE_EXISTING : WorkflowIdConflictPolicy.USE_EXISTING,
          typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
        }),
      );
    } catch (err) {
      // The audience stays COMPUTING; the same PUT again resumes it.
      throw temporalFailure(err, this.config.retryAfterSeconds);
    }
  }
}

function toView(row: AudienceRow): AudienceView {
  return {
    id: row.id,
    name: row.name,
    filter: row.filter,
    member_count: row.member_count,
    status: row.status,
    progress: row.progress_processed === null ? null : { processed: Number(row.progress_processed), total: Number(row.progress_total ?? row.progress_processed) },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

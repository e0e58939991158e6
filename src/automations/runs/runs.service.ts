import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../../common/errors/api-error';
import { Keyset, Page } from '../../common/http/pagination';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import type { RunRow } from './runs.repository';

const RUNS_KEYSET = new Keyset([{ column: 'created_at', type: 'timestamptz' }, { column: 'id', type: 'uuid' }]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads of runs for the API (writes are RunsRepository's, plans RunPlanner's). */
@Injectable()
export class RunsService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly temporal: TemporalClientService) {}

  async list(workspaceId: string, filter: { status?: string; template_id?: string; recipient?: string }, limit: number, cursor?: string): Promise<Page<RunView>> {
    const params: unknown[] = [workspaceId];
    const where = ['workspace_id = $1'];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.template_id) {
      if (filter.template_id.startsWith('sequence:')) where.push(`sequence = $${params.push(filter.template_id.slice(9))}`);
      // A value that is not a template id matches nothing (compared as uuid, so the index is used).
      else where.push(UUID.test(filter.template_id) ? `template_id = $${params.push(filter.template_id)}::uuid` : 'false');
    }
    if (filter.recipient) where.push(`recipient = $${params.push(filter.recipient)}`);
    const after = RUNS_KEYSET.where(cursor, params);
    if (after) where.push(after);
    const rows = (await this.db.query(
      `SELECT *, ${RUNS_KEYSET.select()} FROM automation_runs WHERE ${where.join(' AND ')} ORDER BY ${RUNS_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as Array<RunRow & Record<string, unknown>>;
    return RUNS_KEYSET.page(rows, limit, (r) => this.toView(r));
  }

  async get(workspaceId: string, runId: string): Promise<RunView> {
    return this.toView(await this.row(workspaceId, runId));
  }

  /** Every step with its status: recorded ones as recorded, top-level steps never reached as NOT PROCESSED. */
  async steps(workspaceId: string, runId: string) {
    const run = await this.row(workspaceId, runId);
    const recorded = (await this.db.query(
      `SELECT path, seq, action, status, started_at, ended_at, result, error, message_id FROM automation_run_steps
       WHERE workspace_id = $1 AND run_id = $2 ORDER BY seq`,
      [workspaceId, runId],
    )) as Array<{ path: string; seq: number; action: string; status: string; started_at: Date | null; ended_at: Date | null; result: unknown; error: string | null; message_id: string | null }>;
    const seen = new Set(recorded.map((s) => s.path));
    const items = recorded.map((s) => ({
      path: s.path,
      action: s.action,
      status: s.status,
      started_at: s.started_at?.toISOString() ?? null,
      ended_at: s.ended_at?.toISOString() ?? null,
      result: s.result,
      error: s.error,
      message_id: s.message_id,
    }));
    (run.steps ?? []).forEach((step, i) => {
      if (!seen.has(String(i))) {
        items.push({ path: String(i), action: step.action, status: 'NOT PROCESSED', started_at: null, ended_at: null, result: null, error: null, message_id: null });
      }
    });
    // `definition`: the steps as the run pinned them, so a drawing of the run is of what it ran.
    return { run_id: runId, status: run.status, definition: run.steps ?? null, items };
  }

  async row(workspaceId: string, runId: string): Promise<RunRow> {
    const rows = /^[0-9a-f-]{36}$/i.test(runId)
      ? ((await this.db.query('SELECT * FROM automation_runs WHERE workspace_id = $1 AND id = $2::uuid', [workspaceId, runId])) as RunRow[])
      : [];
    if (!rows[0]) throw notFound(`run ${JSON.stringify(runId)} not found`);
    return rows[0];
  }

  toView(r: RunRow) {
    return {
      run_id: r.id,
      status: r.status,
      kind: r.kind,
      template_id: r.template_id,
      template_version: r.template_version,
      template_name: r.template_name,
      sequence: r.sequence,
      source: r.source,
      recipient: r.recipient,
      cancelation_token: r.cancelation_token,
      context: r.context,
      error: r.error,
      parent_run_id: r.parent_run_id,
      event_log_id: r.event_log_id,
      workflow_id: r.workflow_id,
      temporal_url: this.temporal.uiLink(r.workflow_id),
      created_at: r.created_at.toISOString(),
      updated_at: r.updated_at.toISOString(),
      finished_at: r.finished_at?.toISOString() ?? null,
      /** While WAITING: when its timer or timeout is due. */
      wakes_at: r.status === 'WAITING' ? r.wake_at?.toISOString() ?? null : null,
    };
  }
}

export type RunView = ReturnType<RunsService['toView']>;

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ProgressUpdate } from '../../../activities/run-progress.types';
import { resolveValue } from '../../../workflows/shared/expressions';
import { deepMerge, isPlainObject, JsonObject } from '../../../workflows/shared/json';
import { FINAL_RUN_STATUSES, PreparedRun, RunContext, RunInput, RunStatus } from '../../../workflows/shared/run-types';
import { toTypedSearchAttributes } from '../../../workflows/shared/search-attributes';
import { runWorkflowId } from '../../../workflows/shared/workflow-ids';
import { ApiError, badRequest, notFound } from '../../common/errors/api-error';
import { decodeCursor, encodeCursor, Page } from '../../common/http/pagination';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { ProfilesService } from '../../profiles/profiles.service';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import { sequenceCatalog } from '../sequences/sequence-catalog';
import { parseSteps, Step, StepValidationError } from '../steps/step.schema';
import { TemplatesService } from '../templates/templates.service';
import { RunEventsPublisher, RunStatusChange } from './run-events.publisher';

export type RunTarget =
  | { kind: 'template'; ref: string }
  | { kind: 'adhoc'; steps: unknown; cancelationToken?: string | null }
  | { kind: 'sequence'; name: string };

export interface PrepareRunRequest {
  workspaceId: string;
  target: RunTarget;
  context: { data?: JsonObject; profile?: JsonObject; recipient?: string | null; brand?: string | null; template?: string | null };
  source: string;
  /** Deterministic id (idempotency keys, event-triggered runs); random otherwise. */
  runId?: string;
  parentRunId?: string | null;
  eventLogId?: string | null;
  eventId?: string | null;
  invokeChain?: string[];
}

export class InvokeCycleError extends ApiError {
  constructor(ref: string, depth: number) {
    super(400, `invoke cycle: template ${JSON.stringify(ref)} is already running in this run's invoke chain (depth ${depth})`, 'invalid_request_error');
  }
}

const ACTIVE: RunStatus[] = ['PROCESSING', 'WAITING'];
const MAX_CHAIN = 16;

/** Preparing, starting and reading runs; the bookkeeping their workflows write through activities. */
@Injectable()
export class RunsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly templates: TemplatesService,
    private readonly profiles: ProfilesService,
    private readonly temporal: TemporalClientService,
    private readonly runEvents: RunEventsPublisher,
  ) {}

  /**
   * Pins what a run executes (template version, ad hoc steps or sequence), builds its context,
   * resolves its cancelation token, and records it as PROCESSING. Idempotent for a given runId.
   */
  async prepare(req: PrepareRunRequest): Promise<PreparedRun> {
    const { workspaceId } = req;
    let steps: Step[] = [];
    let templateId: string | null = null;
    let templateVersion: number | null = null;
    let templateName: string | null = null;
    let sequence: string | null = null;
    let rawToken: string | null = null;
    let templateRecipient: string | null = null;
    let singleton = false;
    const chain = req.invokeChain ?? [];

    switch (req.target.kind) {
      case 'template': {
        const v = await this.templates.latestPublished(workspaceId, req.target.ref);
        if (chain.includes(v.templateId) || chain.length >= MAX_CHAIN) {
          throw new InvokeCycleError(req.target.ref, chain.length);
        }
        ({ steps, templateId, name: templateName, cancelationToken: rawToken, recipient: templateRecipient } = { ...v, templateId: v.templateId });
        templateVersion = v.version;
        break;
      }
      case 'adhoc':
        try {
          steps = parseSteps(req.target.steps, 'automation.steps');
        } catch (err) {
          if (err instanceof StepValidationError) throw badRequest(err.problems.join('; '));
          throw err;
        }
        rawToken = req.target.cancelationToken ?? null;
        break;
      case 'sequence': {
        const info = sequenceCatalog()[req.target.name];
        if (!info) throw notFound(`sequence ${JSON.stringify(req.target.name)} not found`);
        sequence = info.name;
        singleton = info.singleton;
        break;
      }
    }

    const baseScope = { data: req.context.data ?? {}, profile: req.context.profile ?? {}, refs: {} };
    let recipient: string | null;
    try {
      recipient = req.context.recipient ?? (templateRecipient ? stringOrNull(resolveValue(templateRecipient, baseScope)) : null);
    } catch (err) {
      throw badRequest(`recipient: ${(err as Error).message}`);
    }
    const stored = recipient ? await this.profiles.get(workspaceId, recipient) : null;
    const context: RunContext = {
      data: req.context.data ?? {},
      profile: deepMerge(stored ?? {}, req.context.profile ?? {}),
      recipient,
      brand: req.context.brand ?? null,
      template: req.context.template ?? null,
    };
    let cancelationToken: string | null = null;
    try {
      cancelationToken = rawToken ? stringOrNull(resolveValue(rawToken, { ...context, refs: {} })) : null;
    } catch (err) {
      // A broken reference is the automation's fault, not a reason to retry: a 400 (or a failed event).
      throw badRequest(`cancelation_token: ${(err as Error).message}`);
    }
    const runId = req.runId ?? randomUUID();
    const workflowId = runWorkflowId(workspaceId, runId);
    const input: RunInput = {
      workspaceId,
      runId,
      kind: sequence ? 'sequence' : 'steps',
      steps,
      sequence,
      templateId,
      templateVersion,
      cancelationToken,
      context,
      source: req.source,
      invokeChain: templateId ? [...chain, templateId] : chain,
    };
    const prepared: PreparedRun = {
      runId,
      workflowId,
      workflowType: sequence ? 'sequenceRun' : 'automationRun',
      input,
      searchAttributes: {
        HeraldWorkspace: workspaceId,
        HeraldTemplate: templateId ?? (sequence ? `sequence:${sequence}` : 'adhoc'),
        HeraldRecipient: recipient ?? '',
        HeraldSource: req.source,
        HeraldEvent: req.eventId ?? '',
        HeraldCancelationToken: cancelationToken ?? '',
      },
    };

    const row = [
      workspaceId, runId, workflowId, input.kind, templateId, templateVersion, templateName, sequence,
      JSON.stringify(steps), req.source, recipient, cancelationToken,
      singleton && recipient ? `${sequence}:${recipient}` : null, JSON.stringify(context), req.parentRunId ?? null, req.eventLogId ?? null,
    ];
    const insert = `INSERT INTO automation_runs (workspace_id, id, workflow_id, kind, template_id, template_version, template_name, sequence,
        steps, source, recipient, cancelation_token, singleton_key, status, context, parent_run_id, event_log_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'PROCESSING', $14, $15, $16)
      ON CONFLICT (workspace_id, id) DO NOTHING`;
    try {
      await this.db.query(insert, row);
    } catch (err) {
      if ((err as { driverError?: { constraint?: string } }).driverError?.constraint !== 'UQ_runs_singleton_active') throw err;
      // A singleton sequence already runs for this recipient: record the trigger, start nothing.
      const active = (await this.db.query(
        `SELECT id FROM automation_runs WHERE workspace_id = $1 AND singleton_key = $2 AND status IN ('PROCESSING', 'WAITING')`,
        [workspaceId, row[12]],
      )) as Array<{ id: string }>;
      const reason = `ignored: ${sequence} is already running for ${recipient} (run ${active[0]?.id ?? 'unknown'})`;
      row[12] = null;
      await this.db.query(insert.replace("'PROCESSING'", "'CANCELED'"), row);
      await this.db.query(`UPDATE automation_runs SET error = $3, finished_at = now() WHERE workspace_id = $1 AND id = $2`, [workspaceId, runId, reason]);
      return { ...prepared, ignored: reason };
    }
    await this.publishRunStatus(workspaceId, runId, 'STARTED', {
      run_id: runId, recipient, template_id: templateId, sequence, source: req.source,
    });
    return prepared;
  }

  /** Publishes a run's start or end (for journey events); repeats are fine, subscribers dedupe. */
  private async publishRunStatus(workspaceId: string, runId: string, status: RunStatusChange['status'], run?: RunStatusChange['run']): Promise<void> {
    if (!run) {
      const r = await this.row(workspaceId, runId);
      run = { run_id: r.id, recipient: r.recipient, template_id: r.template_id, sequence: r.sequence, source: r.source, error: r.error };
    }
    await this.runEvents.publish({ workspaceId, runId, status, at: Date.now(), run });
  }

  /** Starts a prepared run from the API (event-triggered and invoked runs start as child workflows instead). */
  async start(prepared: PreparedRun): Promise<void> {
    if (prepared.ignored) return;
    await this.temporal.startIdempotent(prepared.workflowType, {
      taskQueue: this.temporal.taskQueue,
      workflowId: prepared.workflowId,
      args: [prepared.input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: toTypedSearchAttributes(prepared.searchAttributes),
    });
  }

  // ---- bookkeeping written by run workflows (through activities) ----

  async recordProgress(update: ProgressUpdate): Promise<void> {
    const { workspaceId, runId, step, run } = update;
    if (step) {
      await this.db.query(
        `INSERT INTO automation_run_steps (workspace_id, run_id, path, seq, action, status, started_at, ended_at, result, error, message_id)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), to_timestamp($8 / 1000.0), $9, $10, $11)
         ON CONFLICT (workspace_id, run_id, path) DO UPDATE SET status = EXCLUDED.status, ended_at = EXCLUDED.ended_at,
           result = EXCLUDED.result, error = EXCLUDED.error, message_id = COALESCE(EXCLUDED.message_id, automation_run_steps.message_id)`,
        [workspaceId, runId, step.path, step.seq, step.action, step.status, step.startedAt, step.endedAt,
          step.result === undefined ? null : JSON.stringify(step.result), step.error ?? null, step.messageId ?? null],
      );
    }
    if (run) {
      const final = FINAL_RUN_STATUSES.includes(run.status);
      // A final status is never overwritten (a retried write or a late update cannot revive a run).
      await this.db.query(
        `UPDATE automation_runs SET status = $3, error = COALESCE($4, error), updated_at = now(),
           finished_at = CASE WHEN $5 THEN now() ELSE finished_at END
         WHERE workspace_id = $1 AND id = $2 AND status NOT IN ('PROCESSED', 'CANCELED', 'ERROR')`,
        [workspaceId, runId, run.status, run.error ?? null, final],
      );
      if (final) await this.publishRunStatus(workspaceId, runId, run.status as RunStatusChange['status']);
    }
  }

  async registerWait(w: { workspaceId: string; runId: string; path: string; workflowId: string; recipient: string; event: string }) {
    await this.db.query(
      `INSERT INTO automation_run_waits (workspace_id, run_id, path, workflow_id, recipient, event)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [w.workspaceId, w.runId, w.path, w.workflowId, w.recipient, w.event],
    );
  }

  async unregisterWait(w: { workspaceId: string; runId: string; path: string }) {
    await this.db.query('DELETE FROM automation_run_waits WHERE workspace_id = $1 AND run_id = $2 AND path = $3', [w.workspaceId, w.runId, w.path]);
  }

  /** Runs of a recipient waiting for an event name (for the ingest workflow's routing). */
  async waitingFor(workspaceId: string, recipient: string, event: string): Promise<Array<{ workflow_id: string; run_id: string }>> {
    return this.db.query(
      'SELECT DISTINCT workflow_id, run_id FROM automation_run_waits WHERE workspace_id = $1 AND recipient = $2 AND event = $3',
      [workspaceId, recipient, event],
    );
  }

  /** When a token was canceled within the tombstone window, else null. */
  async tombstone(workspaceId: string, token: string): Promise<string | null> {
    const rows = (await this.db.query(
      `SELECT canceled_at FROM cancel_tombstones WHERE workspace_id = $1 AND token = $2
       AND canceled_at > now() - make_interval(secs => $3::double precision / 1000)`,
      [workspaceId, token, this.config.cancelTombstoneTtlMs],
    )) as Array<{ canceled_at: Date }>;
    return rows[0]?.canceled_at.toISOString() ?? null;
  }

  // ---- reads for the API ----

  async list(workspaceId: string, filter: { status?: string; template_id?: string; recipient?: string }, limit: number, cursor?: string): Promise<Page<RunView>> {
    const params: unknown[] = [workspaceId];
    const where = ['workspace_id = $1'];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.template_id) {
      if (filter.template_id.startsWith('sequence:')) where.push(`sequence = $${params.push(filter.template_id.slice(9))}`);
      else where.push(`template_id::text = $${params.push(filter.template_id)}`);
    }
    if (filter.recipient) where.push(`recipient = $${params.push(filter.recipient)}`);
    const after = decodeCursor(cursor);
    if (after) {
      const [at, id] = after.split('|');
      if (!at || !id || Number.isNaN(Date.parse(at))) throw badRequest('cursor is not valid');
      where.push(`(created_at, id) < ($${params.push(at)}::timestamptz, $${params.push(id)}::uuid)`);
    }
    const rows = (await this.db.query(
      `SELECT * FROM automation_runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.push(limit + 1)}`,
      params,
    )) as RunRow[];
    const has_more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => this.toView(r)),
      has_more,
      cursor: has_more && last ? encodeCursor(`${last.created_at.toISOString()}|${last.id}`) : null,
    };
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
    return { run_id: runId, status: run.status, items };
  }

  async activeRunsWithToken(workspaceId: string, token: string, exceptRunId?: string): Promise<Array<{ id: string; workflow_id: string }>> {
    return this.db.query(
      `SELECT id, workflow_id FROM automation_runs WHERE workspace_id = $1 AND cancelation_token = $2
       AND status IN ('PROCESSING', 'WAITING') AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [workspaceId, token, exceptRunId ?? null],
    );
  }

  async row(workspaceId: string, runId: string): Promise<RunRow> {
    const rows = /^[0-9a-f-]{36}$/i.test(runId)
      ? ((await this.db.query('SELECT * FROM automation_runs WHERE workspace_id = $1 AND id = $2::uuid', [workspaceId, runId])) as RunRow[])
      : [];
    if (!rows[0]) throw notFound(`run ${JSON.stringify(runId)} not found`);
    return rows[0];
  }

  isActive(status: RunStatus): boolean {
    return ACTIVE.includes(status);
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
    };
  }
}

export interface RunRow {
  id: string;
  workflow_id: string;
  kind: string;
  template_id: string | null;
  template_version: number | null;
  template_name: string | null;
  sequence: string | null;
  steps: Step[];
  source: string;
  recipient: string | null;
  cancelation_token: string | null;
  status: RunStatus;
  context: JsonObject;
  parent_run_id: string | null;
  event_log_id: string | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export type RunView = ReturnType<RunsService['toView']>;

function stringOrNull(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  return typeof v === 'string' ? v : isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v);
}

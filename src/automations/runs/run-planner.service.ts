import { Inject, Injectable } from '@nestjs/common';
import { resolveValue } from '../../../workflows/shared/expressions';
import { deepMerge, isPlainObject, JsonObject } from '../../../workflows/shared/json';
import type { LegacyRunInput, PreparedRun, RunContext, RunInput } from '../../../workflows/shared/run-types';
import { parseSteps, Step, StepValidationError } from '../../../workflows/shared/step-schema';
// Registers the opening-hours check that delay windows are validated with.
import '../../common/time/delivery-window';
import { runWorkflowId } from '../../../workflows/shared/workflow-ids';
import { ApiError, badRequest, notFound } from '../../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import type { Queryable } from '../../database/queryable';
import { sequenceCatalog } from '../sequences/sequence-catalog';
import { TemplatesService } from '../templates/templates.service';
import { NewRun, RunsRepository } from './runs.repository';

export type RunTarget =
  | { kind: 'template'; ref: string }
  | { kind: 'adhoc'; steps: unknown; cancelationToken?: string | null; /** How errors name the steps (default automation.steps). */ root?: string }
  | { kind: 'sequence'; name: string };

export interface RunRequest {
  target: RunTarget;
  context: { data?: JsonObject; profile?: JsonObject; recipient?: string | null; brand?: string | null; template?: string | null };
  source: string;
  /** Deterministic (idempotency keys, event-triggered and invoked runs): a retry plans the same run. */
  runId: string;
  parentRunId?: string | null;
  eventLogId?: string | null;
  eventId?: string | null;
}

/** A planned run: recorded (now or by an earlier call) and what starting it takes, or why it cannot run. */
export type PlannedRun =
  | {
      ok: true;
      prepared: PreparedRun;
      /** Recorded but not to be started: ignored (singleton) or canceled at start; the reason. */
      notStarted?: string;
      /** Recorded as ignored: its singleton sequence already runs for the recipient. */
      ignored: boolean;
      /** Already started by an earlier call (a retried batch): nothing to start. */
      alreadyStarted: boolean;
      row: NewRun;
    }
  | { ok: false; problem: string };

export class InvokeCycleError extends ApiError {
  constructor(ref: string, depth: number) {
    super(400, `invoke cycle: template ${JSON.stringify(ref)} is already running in this run's invoke chain (depth ${depth})`, 'invalid_request_error');
  }
}

const MAX_CHAIN = 16;

/**
 * Turns run requests into recorded runs, many at once inside the caller's transaction (a
 * dispatcher batch, an invoke): pins what each executes (template version, ad hoc steps or
 * sequence), builds its context over the stored profile, resolves its cancelation token and
 * checks it against cancels already made, and inserts the rows in one statement. Starting the
 * workflows is RunStarter's job, after the transaction commits.
 */
@Injectable()
export class RunPlanner {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly templates: TemplatesService,
    private readonly repo: RunsRepository,
  ) {}

  async plan(tx: Queryable, workspaceId: string, requests: RunRequest[]): Promise<PlannedRun[]> {
    if (!requests.length) return [];
    const templateRefs = [...new Set(requests.flatMap((r) => (r.target.kind === 'template' ? [r.target.ref] : [])))];
    const versions = await this.templates.latestPublishedMany(tx, workspaceId, templateRefs);
    const chains = await this.invokeChains(tx, workspaceId, requests);

    type Draft = { request: RunRequest; row: Omit<NewRun, 'context' | 'recipient' | 'cancelationToken' | 'singletonKey' | 'status' | 'error'>; rawToken: string | null; templateRecipient: string | null; singleton: boolean };
    const drafts: Array<Draft | { problem: string }> = requests.map((request) => {
      try {
        return this.draft(workspaceId, request, versions, chains.get(request.parentRunId ?? '') ?? []);
      } catch (err) {
        if (err instanceof ApiError) return { problem: (err.getResponse() as { message: string }).message };
        throw err;
      }
    });

    // Recipients first (a template may name one by reference), then their stored profiles in one query.
    const recipients = drafts.map((d, i) => {
      if ('problem' in d) return null;
      const req = requests[i];
      if (req.context.recipient) return req.context.recipient;
      if (!d.templateRecipient) return null;
      try {
        return stringOrNull(resolveValue(d.templateRecipient, { data: req.context.data ?? {}, profile: req.context.profile ?? {}, refs: {} }));
      } catch (err) {
        drafts[i] = { problem: `recipient: ${(err as Error).message}` };
        return null;
      }
    });
    const profiles = await this.profilesOf(tx, workspaceId, recipients.filter((r): r is string => Boolean(r)));

    const rows: NewRun[] = [];
    const planned: Array<PlannedRun | null> = drafts.map((d, i) => {
      if ('problem' in d) return { ok: false, problem: d.problem };
      const req = requests[i];
      const recipient = recipients[i];
      const context: RunContext = {
        data: req.context.data ?? {},
        profile: deepMerge((recipient && profiles.get(recipient)) || {}, req.context.profile ?? {}),
        recipient,
        brand: req.context.brand ?? null,
        template: req.context.template ?? null,
      };
      let token: string | null = null;
      try {
        token = d.rawToken ? stringOrNull(resolveValue(d.rawToken, { ...context, refs: {} })) : null;
      } catch (err) {
        // A broken reference is the automation's fault, not a reason to retry.
        return { ok: false, problem: `cancelation_token: ${(err as Error).message}` };
      }
      const row: NewRun = {
        ...d.row, context, recipient, cancelationToken: token, status: 'PROCESSING', error: null,
        singletonKey: d.singleton && recipient ? `${d.row.sequence}:${recipient}` : null,
      };
      rows.push(row);
      return null;
    });

    await this.applyTombstones(tx, workspaceId, rows);
    const inserted = await this.repo.insertMany(tx, rows);
    const missing = rows.filter((r) => !inserted.has(r.runId));
    const existing = await this.repo.existing(tx, workspaceId, missing.map((r) => r.runId));
    // Not inserted and not there: the singleton index refused it (that sequence already runs for the recipient).
    const ignored = missing.filter((r) => !existing.has(r.runId) && r.singletonKey);
    const holders = await this.repo.singletonHolders(tx, workspaceId, ignored.map((r) => r.singletonKey!));
    for (const r of ignored) {
      r.status = 'CANCELED';
      r.error = `ignored: ${r.sequence} is already running for ${r.recipient} (run ${holders.get(r.singletonKey!) ?? 'unknown'})`;
      r.singletonKey = null;
    }
    await this.repo.insertMany(tx, ignored);
    const startedNow = rows.filter((r) => inserted.has(r.runId) && r.status === 'PROCESSING');
    if (startedNow.length) {
      await this.repo.started(tx, workspaceId, startedNow.map((r) => ({
        id: r.runId, status: 'PROCESSING' as const, recipient: r.recipient, template_id: r.templateId, sequence: r.sequence, source: r.source, error: null,
      })));
    }

    let next = 0;
    return planned.map((p) => {
      if (p) return p;
      const row = rows[next++];
      const before = existing.get(row.runId);
      const notStarted = row.status === 'CANCELED' ? row.error ?? 'canceled' : before && before.status !== 'PROCESSING' && before.status !== 'WAITING' ? `already ${before.status}` : undefined;
      return { ok: true, row, prepared: toPrepared(row), notStarted, ignored: ignored.includes(row), alreadyStarted: Boolean(before?.started_at) };
    });
  }

  /** A single run (API invoke, invoke step): the plan, or its problem as a 400/404/409. */
  async planOne(tx: Queryable, workspaceId: string, request: RunRequest): Promise<Extract<PlannedRun, { ok: true }>> {
    const [planned] = await this.plan(tx, workspaceId, [request]);
    if (!planned.ok) throw this.problemError(planned.problem);
    return planned;
  }

  private problemError(problem: string): ApiError {
    if (/not found/.test(problem)) return notFound(problem);
    if (/no published version/.test(problem)) return new ApiError(409, problem, 'conflict_error');
    return badRequest(problem);
  }

  private draft(workspaceId: string, req: RunRequest, versions: Map<string, unknown>, chain: string[]) {
    let steps: Step[] = [];
    let templateId: string | null = null;
    let templateVersion: number | null = null;
    let templateName: string | null = null;
    let sequence: string | null = null;
    let rawToken: string | null = null;
    let templateRecipient: string | null = null;
    let singleton = false;
    switch (req.target.kind) {
      case 'template': {
        const v = versions.get(req.target.ref);
        if (v instanceof ApiError) throw v;
        const version = v as { templateId: string; version: number; name: string; steps: Step[]; cancelationToken: string | null; recipient: string | null };
        if (chain.includes(version.templateId) || chain.length >= MAX_CHAIN) throw new InvokeCycleError(req.target.ref, chain.length);
        ({ steps, templateId, name: templateName, cancelationToken: rawToken, recipient: templateRecipient } = { ...version, templateId: version.templateId });
        templateVersion = version.version;
        break;
      }
      case 'adhoc':
        try {
          steps = parseSteps(req.target.steps, req.target.root ?? 'automation.steps');
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
    return {
      request: req,
      rawToken,
      templateRecipient,
      singleton,
      row: {
        workspaceId, runId: req.runId, workflowId: runWorkflowId(workspaceId, req.runId), kind: sequence ? ('sequence' as const) : ('steps' as const),
        templateId, templateVersion, templateName, sequence, steps, source: req.source,
        parentRunId: req.parentRunId ?? null, eventLogId: req.eventLogId ?? null, eventId: req.eventId ?? null,
      },
    };
  }

  /**
   * A run whose token was canceled starts canceled: when its triggering event was accepted
   * before the cancel (ledger position), or within CANCEL_TOMBSTONE_TTL after it.
   */
  private async applyTombstones(tx: Queryable, workspaceId: string, rows: NewRun[]): Promise<void> {
    const tokens = [...new Set(rows.flatMap((r) => (r.cancelationToken ? [r.cancelationToken] : [])))];
    const tombstones = await this.repo.tombstones(tx, workspaceId, tokens);
    for (const row of rows) {
      const t = row.cancelationToken ? tombstones.get(row.cancelationToken) : undefined;
      if (!t) continue;
      const beforeCancel = row.eventLogId !== null && t.ledgerMark !== null && BigInt(row.eventLogId) <= BigInt(t.ledgerMark);
      const withinWindow = Date.now() - t.canceledAt.getTime() < this.config.cancelTombstoneTtlMs;
      if (!beforeCancel && !withinWindow) continue;
      row.status = 'CANCELED';
      row.singletonKey = null;
      row.error = `canceled at start: token ${JSON.stringify(row.cancelationToken)} was canceled at ${t.canceledAt.toISOString()}`;
    }
  }

  /** Template ids from the root run down to each parent (an invoke of one of them is a cycle). */
  private async invokeChains(tx: Queryable, workspaceId: string, requests: RunRequest[]): Promise<Map<string, string[]>> {
    const parents = [...new Set(requests.flatMap((r) => (r.parentRunId ? [r.parentRunId] : [])))];
    const out = new Map<string, string[]>();
    for (const parent of parents) {
      const rows = (await tx.query(
        `WITH RECURSIVE chain AS (
           SELECT id, parent_run_id, template_id, 1 AS depth FROM automation_runs WHERE workspace_id = $1 AND id = $2
           UNION ALL
           SELECT r.id, r.parent_run_id, r.template_id, c.depth + 1 FROM automation_runs r
           JOIN chain c ON r.workspace_id = $1 AND r.id = c.parent_run_id WHERE c.depth <= $3)
         SELECT template_id FROM chain ORDER BY depth DESC`,
        [workspaceId, parent, MAX_CHAIN],
      )) as Array<{ template_id: string | null }>;
      out.set(parent, rows.flatMap((r) => (r.template_id ? [r.template_id] : [])));
    }
    return out;
  }

  private async profilesOf(tx: Queryable, workspaceId: string, userIds: string[]): Promise<Map<string, JsonObject>> {
    if (!userIds.length) return new Map();
    const rows = (await tx.query('SELECT user_id, profile FROM profiles WHERE workspace_id = $1 AND user_id = ANY($2)', [workspaceId, [...new Set(userIds)]])) as Array<{
      user_id: string; profile: JsonObject;
    }>;
    return new Map(rows.map((r) => [r.user_id, r.profile]));
  }
}

/** The workflow start of a recorded run: ids in the input, search attributes for the Temporal UI. */
export function toPrepared(row: NewRun): PreparedRun {
  const input: RunInput = { workspaceId: row.workspaceId, runId: row.runId, kind: row.kind, sequence: row.sequence };
  return {
    runId: row.runId,
    workflowId: row.workflowId,
    workflowType: row.sequence ? 'sequenceRun' : 'automationRun',
    input,
    searchAttributes: {
      HeraldWorkspace: row.workspaceId,
      HeraldTemplate: row.templateId ?? (row.sequence ? `sequence:${row.sequence}` : 'adhoc'),
      HeraldRecipient: row.recipient ?? '',
      HeraldSource: row.source,
      HeraldEvent: row.eventId ?? '',
      HeraldCancelationToken: row.cancelationToken ?? '',
    },
  };
}

/** The input legacy callers (workflows/legacy) pass to a child run: everything pinned. */
export function legacyInput(row: NewRun, invokeChain: string[]): LegacyRunInput {
  return {
    workspaceId: row.workspaceId, runId: row.runId, kind: row.kind, sequence: row.sequence, steps: row.steps, templateId: row.templateId,
    templateVersion: row.templateVersion, cancelationToken: row.cancelationToken, context: row.context, source: row.source,
    invokeChain: row.templateId ? [...invokeChain, row.templateId] : invokeChain,
  };
}

function stringOrNull(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  return typeof v === 'string' ? v : isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v);
}

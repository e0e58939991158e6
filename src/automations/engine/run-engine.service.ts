import { MANY_RECIPIENTS, ManyRecipientsSender } from '../../broadcasts/many-recipients';
import { ListsService } from '../../lists/lists.service';
import { sendListStep, subscribeStep } from './steps/lists.step';
import { DeliveryWindowsService } from '../../messages/delivery-windows.service';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { evaluateCondition, resolveValue, Scope } from '../../../workflows/shared/expressions';
import { deepMerge, isPlainObject, JsonObject } from '../../../workflows/shared/json';
import type { AdvanceRequest, AdvanceResult } from '../../../workflows/shared/run-protocol';
import { FINAL_RUN_STATUSES, RunContext, RunStatus, StepStatus } from '../../../workflows/shared/run-types';
import type { Action, Step } from '../../../workflows/shared/step-schema';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { DeliveryService } from '../../messages/delivery.service';
import { ProfilesService } from '../../profiles/profiles.service';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import { CancelService } from '../runs/cancel.service';
import { RunPlanner } from '../runs/run-planner.service';
import { RunStarter } from '../runs/run-starter.service';
import { RunRow, RunsRepository } from '../runs/runs.repository';
import { ThrottleService } from '../runs/throttle.service';
import { ResumeInfo, StepCall, StepHandler, StepOutcome } from './engine.types';
import { isRetryable } from './retryable';
import { enterPath, firstPath, nextPath, stepAt } from './step-tree';
import { addToBatchStep } from './steps/add-to-batch.step';
import { BatchesService } from '../runs/batches.service';
import { branchStep } from './steps/branch.step';
import { cancelStep } from './steps/cancel.step';
import { delayStep } from './steps/delay.step';
import { exitStep } from './steps/exit.step';
import { fetchDataStep } from './steps/fetch-data.step';
import { invokeStep } from './steps/invoke.step';
import { getProfileStep, updateProfileStep } from './steps/profile.step';
import { sendStep } from './steps/send.step';
import { throttleStep } from './steps/throttle.step';
import { waitForStep } from './steps/wait-for.step';

/** One advance runs steps for at most this long before it hands back to the workflow ("continue"). */
const BUDGET_MS = 20_000;
/** Summaries handed to code sequences (they land in workflow history) stay small. */
const MAX_SUMMARY_CHARS = 4_096;
/** A sequence's context larger than this reaches its code trimmed to top-level scalar fields. */
const MAX_SEQUENCE_CONTEXT_CHARS = 256 * 1024;

/** The run as one advance changes it. */
interface RunState {
  run: RunRow;
  context: RunContext;
  refs: Record<string, unknown>;
  seq: number;
}

/** How one step ended: the run goes on at `next`, or the advance returns `stop` to the workflow. */
type StepResult = { next: string | null; result: unknown; flow: 'next' | 'stop' } | { stop: AdvanceResult };

type Handlers = { [A in Action]: StepHandler<Extract<Step, { action: A }>> };

/**
 * The interpreter, on the Node side of the workflow boundary (the `advanceRun` local activity).
 * The run row is the state: each advance claims the run (a compare-and-set that a cancel wins
 * if it committed first), runs steps until one must wait (or the run ends), and writes each
 * step's record with the run's cursor, context and refs in that step's own transaction. A
 * retried advance resumes at the cursor, so no step's effect repeats beyond its handler's own
 * idempotency (message ids, throttle decisions and child run ids derive from run and path).
 */
@Injectable()
export class RunEngine {
  private readonly handlers: Handlers;

  constructor(
    @InjectDataSource() db: DataSource,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
    private readonly repo: RunsRepository,
    delivery: DeliveryService,
    cancels: CancelService,
    profiles: ProfilesService,
    throttle: ThrottleService,
    planner: RunPlanner,
    starter: RunStarter,
    temporal: TemporalClientService,
    batches: BatchesService,
    windows: DeliveryWindowsService,
    lists: ListsService,
    @Optional() @Inject(MANY_RECIPIENTS) many?: ManyRecipientsSender,
  ) {
    this.handlers = {
      send: sendStep(delivery),
      delay: delayStep(windows),
      'wait-for': waitForStep(repo),
      cancel: cancelStep(cancels),
      'fetch-data': fetchDataStep(repo, config.allowPrivateNetworks),
      'update-profile': updateProfileStep(profiles),
      'get-profile': getProfileStep(profiles),
      invoke: invokeStep(db, planner, starter),
      branch: branchStep(),
      throttle: throttleStep(throttle),
      'add-to-batch': addToBatchStep(temporal, batches),
      exit: exitStep(),
      subscribe: subscribeStep(lists),
      'send-list': sendListStep(many),
    };
  }

  async advance(req: AdvanceRequest): Promise<AdvanceResult> {
    const { workspaceId, runId } = req;
    if (req.cancel) return this.done(await this.repo.finish(workspaceId, runId, 'CANCELED', 'canceled'));
    if (req.fail !== undefined) return this.done(await this.repo.finish(workspaceId, runId, 'ERROR', req.fail));
    if (req.finish) return this.done(await this.repo.finish(workspaceId, runId, 'PROCESSED'));
    const run = await this.repo.claim(workspaceId, runId);
    if (!run) return this.settled(workspaceId, runId);
    const state: RunState = { run, context: run.context, refs: run.refs ?? {}, seq: run.seq };
    if (req.start) return { kind: 'started', ...sequenceContext(run.context) };
    if (req.step) return this.sequenceStep(state, req.step.path, req.step.step, req.resume);

    let path = run.cursor ?? firstPath(run.steps);
    if (path === null) return this.done(await this.repo.finish(workspaceId, runId, 'PROCESSED'));
    if (run.status === 'WAITING') {
      const step = this.stepAt(run, path);
      // A repeated call (its first answer was lost with a worker): wait again for what is left.
      if (!req.resume || req.resume.path !== path) return this.rewait(state, path, step);
      const resumed = await this.execute(state, path, step, { reason: req.resume.reason, batch: req.resume.batch });
      if ('stop' in resumed) return resumed.stop;
      path = resumed.next;
    }
    const deadline = Date.now() + BUDGET_MS;
    let claimed = run.status !== 'WAITING'; // the claim above is the compare-and-set of the first step
    while (path !== null) {
      if (Date.now() > deadline) return { kind: 'continue' };
      if (!claimed && !(await this.repo.stillActive(workspaceId, runId))) return this.settled(workspaceId, runId);
      claimed = false;
      const result = await this.execute(state, path, this.stepAt(run, path));
      if ('stop' in result) return result.stop;
      path = result.next;
    }
    // The last step's completion wrote the final status.
    return this.settled(workspaceId, runId);
  }

  /** One step of a code sequence: run (or resume) it, or, when a retried call finds it done, answer from its record. */
  private async sequenceStep(state: RunState, path: string, step: Step, resume?: AdvanceRequest['resume']): Promise<AdvanceResult> {
    const record = await this.repo.stepRecord(state.run.workspace_id, state.run.id, path);
    if (record && record.status !== 'WAITING' && record.status !== 'PROCESSING') {
      if (record.status === 'ERROR') return this.settled(state.run.workspace_id, state.run.id);
      return { kind: 'stepped', result: summarize(record.result), flow: 'next' };
    }
    let result: StepResult;
    if (record?.status === 'WAITING') {
      if (!resume || resume.path !== path) return this.rewait(state, path, step);
      result = await this.execute(state, path, step, { reason: resume.reason, batch: resume.batch }, true);
    } else {
      result = await this.execute(state, path, step, undefined, true);
    }
    if ('stop' in result) return result.stop;
    return { kind: 'stepped', result: summarize(result.result), flow: result.flow };
  }

  /**
   * Runs (or resumes) one step and records how it ended. Errors a retry may fix propagate (the
   * activity retries); any other error ends the step and the run ERROR.
   */
  private async execute(state: RunState, path: string, step: Step, resume?: Omit<ResumeInfo, 'waiting'>, sequence = false): Promise<StepResult> {
    const { run } = state;
    const waitingRecord = resume ? await this.repo.stepRecord(run.workspace_id, run.id, path) : null;
    const seq = waitingRecord?.seq ?? state.seq;
    const startedAt = waitingRecord?.started_at?.getTime() ?? Date.now();
    const record = (status: StepStatus, extra: { result?: unknown; error?: string | null; messageId?: string | null } = {}) => ({
      path, seq, action: step.action, status, startedAt, endedAt: status === 'WAITING' ? null : Date.now(), ...extra,
    });

    let outcome: StepOutcome;
    try {
      const scope = this.scope(state, step);
      if (!resume && step.if !== undefined && !evaluateCondition(step.if as never, scope)) {
        outcome = { kind: 'done', status: 'SKIPPED' };
      } else {
        const call: StepCall = { run, context: state.context, refs: state.refs, step, path, scope, resolved: resolveStep(step, scope) };
        const handler = this.handlers[step.action] as StepHandler;
        if (!resume) outcome = await handler.run(call);
        else if (handler.resume) outcome = await handler.resume(call, { ...resume, waiting: (waitingRecord?.result ?? {}) as Record<string, unknown> });
        else outcome = { kind: 'done' };
      }
    } catch (err) {
      if (isRetryable(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const status = await this.repo.completeStep(run.workspace_id, run.id, {
        record: record('ERROR', { error: message }), cursor: path, seq: seq + 1, final: { status: 'ERROR', error: message },
      });
      return { stop: this.done(status, message) };
    }

    if (outcome.kind === 'wait') {
      const wait = outcome.wait;
      const ms = wait.kind === 'sleep' ? wait.ms : wait.timeoutMs;
      const key = wait.kind === 'event' ? path : wait.kind === 'batch' ? `batch:${wait.key}` : null;
      const entered = await this.repo.enterWait(
        run.workspace_id, run.id, record('WAITING', { result: { ...outcome.waiting, wait_key: key } }), Date.now() + ms,
        wait.kind === 'event' ? { path, recipient: state.context.recipient!, event: wait.event, match: wait.match, timeoutMs: ms } : undefined,
      );
      if (!entered) return { stop: await this.settled(run.workspace_id, run.id) };
      state.seq = Math.max(state.seq, seq + 1);
      return { stop: key === null ? { kind: 'sleep', path, ms } : { kind: 'wait', path, key, timeoutMs: ms } };
    }

    const refsChanged = step.ref !== undefined && outcome.result !== undefined;
    if (refsChanged) state.refs = { ...state.refs, [step.ref!]: outcome.result };
    if (outcome.context) state.context = outcome.context;
    const flow = outcome.flow ?? 'next';
    const next = sequence || flow === 'stop' ? null : outcome.enter ? enterPath(run.steps, path, outcome.enter) : nextPath(run.steps, path);
    const final = !sequence && next === null ? { status: 'PROCESSED' as RunStatus } : undefined;
    state.seq = Math.max(state.seq, seq + 1);
    const status = await this.repo.completeStep(run.workspace_id, run.id, {
      record: record(outcome.status ?? 'PROCESSED', { result: outcome.result, messageId: outcome.messageId }),
      cursor: sequence ? path : next,
      seq: state.seq,
      context: outcome.context,
      refs: refsChanged ? state.refs : undefined,
      final,
      removeWait: resume && step.action === 'wait-for' ? path : undefined,
    });
    if (FINAL_RUN_STATUSES.includes(status)) return { stop: this.done(status) };
    return { next, result: outcome.result, flow };
  }

  /** What a waiting step still waits for, from what it recorded when it began to wait. */
  private async rewait(state: RunState, path: string, step: Step): Promise<AdvanceResult> {
    const record = await this.repo.stepRecord(state.run.workspace_id, state.run.id, path);
    const key = ((record?.result ?? {}) as { wait_key?: string | null }).wait_key ?? null;
    const ms = Math.max(0, (state.run.wake_at?.getTime() ?? Date.now()) - Date.now());
    if (step.action === 'delay' || key === null) return { kind: 'sleep', path, ms };
    return { kind: 'wait', path, key, timeoutMs: ms };
  }

  /** What a step reads: the run's context, with the step's own data/profile merged over it, and refs. */
  private scope(state: RunState, step: Step): Scope {
    const base: Scope = { ...state.context, refs: state.refs };
    const data = step.data !== undefined ? resolveValue(step.data, base) : undefined;
    const profile = step.profile !== undefined ? resolveValue(step.profile, base) : undefined;
    return {
      ...base,
      data: isPlainObject(data) ? deepMerge(state.context.data, data) : state.context.data,
      profile: isPlainObject(profile) ? deepMerge(state.context.profile, profile) : state.context.profile,
    };
  }

  private stepAt(run: RunRow, path: string): Step {
    const step = stepAt(run.steps, path);
    if (!step) throw new Error(`run ${run.id} has no step at ${path}`);
    return step;
  }

  private async settled(workspaceId: string, runId: string): Promise<AdvanceResult> {
    const row = await this.repo.status(workspaceId, runId);
    if (!row) return { kind: 'done', status: 'ERROR', error: `run ${runId} is not recorded` };
    return this.done(row.status, row.error ?? undefined);
  }

  private done(status: RunStatus, error?: string): AdvanceResult {
    return error && status !== 'PROCESSED' ? { kind: 'done', status, error } : { kind: 'done', status };
  }
}

/** A step's fields with references resolved; nested step lists and `match` stay as written. */
function resolveStep<T extends Step>(step: T, scope: Scope): T {
  const { if: _if, paths, default: fallback, match, ...rest } = step as T & { paths?: unknown; default?: unknown; match?: unknown };
  const resolved = resolveValue(rest, scope) as JsonObject;
  return { ...resolved, if: _if, paths, default: fallback, match } as unknown as T;
}

/** A step result small enough for workflow history (what a code sequence's `await s.step()` gets). */
function summarize(result: unknown): unknown {
  if (result === undefined || result === null || typeof result !== 'object') return result ?? null;
  if (JSON.stringify(result).length <= MAX_SUMMARY_CHARS) return result;
  return Object.fromEntries(Object.entries(result).filter(([, v]) => v === null || typeof v !== 'object'));
}

/** The context a code sequence reads, trimmed to top-level scalars when it is very large. */
function sequenceContext(context: RunContext): { context: RunContext; trimmed: boolean } {
  if (JSON.stringify(context).length <= MAX_SEQUENCE_CONTEXT_CHARS) return { context, trimmed: false };
  const scalars = (o: JsonObject) => Object.fromEntries(Object.entries(o).filter(([, v]) => v === null || typeof v !== 'object'));
  return { context: { ...context, data: scalars(context.data), profile: scalars(context.profile) }, trimmed: true };
}

import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Step } from '../../shared/step-schema';
import { evaluateCondition, resolveValue, Scope } from '../../shared/expressions';
import { deepMerge, isPlainObject, JsonObject } from '../../shared/json';
import type { BatchDecision, RoutedEvent, RunContext, LegacyRunInput, RunResult, RunStatus, StepStatus } from '../../shared/run-types';
import { bookkeeping } from './activities';
import { batchDecisionSignal, routedEventSignal, runStateQuery } from '../../automation-run/messages';
import { executeStep } from './steps';

/** What a step handler returns: its status and result, and whether the run goes on. */
export interface StepOutcome {
  status?: StepStatus;
  result?: unknown;
  messageId?: string | null;
  /** 'stop' ends the run here (exit, throttled, batched into another run). */
  flow?: 'next' | 'stop';
}

export type Flow = 'next' | 'stop';

/**
 * The state of one run and the step helpers both the JSON interpreter and code sequences use:
 * context and refs, `if` evaluation, reference resolution, progress records, routed events and
 * batch decisions. Plain JSON state only, so it stays deterministic.
 */
export class RunSession {
  readonly input: LegacyRunInput;
  context: RunContext;
  refs: Record<string, unknown> = {};
  status: RunStatus = 'PROCESSING';
  currentStep: string | null = null;
  /** Events routed to this run (deduplicated by messageId), in arrival order. */
  readonly events: RoutedEvent[] = [];
  readonly batchDecisions: Record<string, BatchDecision> = {};
  private readonly seenEvents: Record<string, true> = {};
  private seq = 0;

  constructor(input: LegacyRunInput) {
    this.input = input;
    this.context = { ...input.context, data: { ...input.context.data }, profile: { ...input.context.profile } };
    setHandler(routedEventSignal, (event) => {
      if (this.seenEvents[event.messageId]) return;
      this.seenEvents[event.messageId] = true;
      this.events.push(event);
    });
    setHandler(batchDecisionSignal, (decision) => {
      this.batchDecisions[decision.key] = decision;
    });
    setHandler(runStateQuery, () => ({ status: this.status, step: this.currentStep }));
  }

  get workspaceId(): string {
    return this.input.workspaceId;
  }

  get runId(): string {
    return this.input.runId;
  }

  get workflowId(): string {
    return workflowInfo().workflowId;
  }

  /** What a step reads: the run's context, with the step's own data/profile merged over it. */
  scope(step?: { data?: unknown; profile?: unknown }): Scope {
    const base: Scope = { ...this.context, refs: this.refs };
    const data = step?.data !== undefined ? resolveValue(step.data, base) : undefined;
    const profile = step?.profile !== undefined ? resolveValue(step.profile, base) : undefined;
    return {
      ...base,
      data: isPlainObject(data) ? deepMerge(this.context.data, data) : this.context.data,
      profile: isPlainObject(profile) ? deepMerge(this.context.profile, profile) : this.context.profile,
    };
  }

  /** A step's fields with references resolved; nested step lists and `match` stay as written. */
  resolve<T extends Step>(step: T, scope: Scope): T {
    const { if: _if, paths, default: fallback, match, ...rest } = step as T & { paths?: unknown; default?: unknown; match?: unknown };
    const resolved = resolveValue(rest, scope) as JsonObject;
    return { ...resolved, if: _if, paths, default: fallback, match } as unknown as T;
  }

  /** Runs a run: tombstone check, the body, and the final status, including on cancellation. */
  async execute(body: () => Promise<unknown>): Promise<RunResult> {
    if (this.input.cancelationToken) {
      const { canceledAt } = await bookkeeping.checkCancelTombstone({
        workspaceId: this.workspaceId,
        token: this.input.cancelationToken,
      });
      if (canceledAt) {
        const error = `canceled at start: token ${JSON.stringify(this.input.cancelationToken)} was canceled at ${canceledAt}`;
        await this.setRunStatus('CANCELED', error);
        return { status: 'CANCELED', error };
      }
    }
    try {
      await body();
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => this.setRunStatus('CANCELED', 'canceled'));
        throw err;
      }
      const message = describeError(err);
      await this.setRunStatus('ERROR', message);
      throw ApplicationFailure.nonRetryable(message, 'RunFailed');
    }
    await this.setRunStatus('PROCESSED');
    return { status: 'PROCESSED' };
  }

  async runSteps(steps: Step[], prefix: string): Promise<Flow> {
    for (let i = 0; i < steps.length; i++) {
      if ((await this.runStep(steps[i], `${prefix}${i}`)) === 'stop') return 'stop';
    }
    return 'next';
  }

  /** Runs one step: `if`, the handler, its record and `ref`. A failed step fails the run. */
  async runStep(step: Step, path: string): Promise<Flow> {
    const seq = this.seq++;
    const startedAt = Date.now();
    this.currentStep = path;
    const record = (status: StepStatus, extra: { result?: unknown; error?: string; messageId?: string | null; ended?: boolean } = {}) =>
      bookkeeping.recordProgress({
        workspaceId: this.workspaceId,
        runId: this.runId,
        run: this.leaveWaiting(status),
        step: {
          path, seq, action: step.action, status, startedAt,
          endedAt: extra.ended === false ? null : Date.now(),
          result: extra.result, error: extra.error ?? null, messageId: extra.messageId ?? null,
        },
      });
    if (step.if !== undefined && !evaluateCondition(step.if as never, this.scope(step))) {
      await record('SKIPPED');
      return 'next';
    }
    try {
      const outcome = await executeStep(this, step, path, (status) => record(status, { ended: false }));
      await record(outcome.status ?? 'PROCESSED', { result: outcome.result, messageId: outcome.messageId });
      if (step.ref) this.refs[step.ref] = outcome.result;
      return outcome.flow ?? 'next';
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => record('CANCELED', { error: 'canceled' }));
        throw err;
      }
      await record('ERROR', { error: describeError(err) });
      throw err;
    }
  }

  /** When a waiting step ends, the run is PROCESSING again (written with the step record). */
  private leaveWaiting(stepStatus: StepStatus): { status: RunStatus } | undefined {
    if (this.status !== 'WAITING' || stepStatus === 'WAITING') return undefined;
    this.status = 'PROCESSING';
    return { status: 'PROCESSING' };
  }

  /** Marks the run WAITING (delay, wait-for, batch) with the step shown as waiting. */
  async markWaiting(markStep: (status: StepStatus) => Promise<unknown>): Promise<void> {
    this.status = 'WAITING';
    await markStep('WAITING');
    await bookkeeping.recordProgress({ workspaceId: this.workspaceId, runId: this.runId, run: { status: 'WAITING' } });
  }

  private async setRunStatus(status: RunStatus, error?: string): Promise<void> {
    this.status = status;
    await bookkeeping.recordProgress({ workspaceId: this.workspaceId, runId: this.runId, run: { status, error: error ?? null } });
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    let e: Error = err;
    // Activity failures wrap the real error as their cause.
    while (e.cause instanceof Error && (e.name === 'ActivityFailure' || e.name === 'ChildWorkflowFailure')) e = e.cause;
    return e.message;
  }
  return String(err);
}

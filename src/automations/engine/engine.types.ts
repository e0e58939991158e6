import type { Scope } from '../../../workflows/shared/expressions';
import type { BatchDecision, RunContext, StepStatus } from '../../../workflows/shared/run-types';
import type { Step } from '../../../workflows/shared/step-schema';
import type { RunRow } from '../runs/runs.repository';

/** What a step handler is given: the run (row, live context and refs), the step and where it is. */
export interface StepCall<S extends Step = Step> {
  run: RunRow;
  context: RunContext;
  refs: Record<string, unknown>;
  step: S;
  path: string;
  /** The run's context with the step's own data/profile merged over it, plus refs. */
  scope: Scope;
  /** The step's fields with references resolved (nested step lists and `match` as written). */
  resolved: S;
}

/** How a waiting step resumes: after its timer, on its signal, or at its timeout. */
export interface ResumeInfo {
  reason: 'timer' | 'signal' | 'timeout';
  batch?: BatchDecision;
  /** What the step recorded when it began to wait (its `waiting` result). */
  waiting: Record<string, unknown>;
}

/** A wait a step asks for: a durable timer, a wait-for event (matched in Postgres), or a batch decision. */
export type StepWait =
  | { kind: 'sleep'; ms: number }
  | { kind: 'event'; event: string; match: unknown; timeoutMs: number }
  | { kind: 'batch'; key: string; timeoutMs: number };

/** What a step handler returns. */
export type StepOutcome =
  | {
      kind: 'done';
      status?: StepStatus;
      result?: unknown;
      messageId?: string | null;
      /** 'stop' ends the run here (exit, throttled, batched into another run). */
      flow?: 'next' | 'stop';
      /** branch: the container to enter (`paths[i]` or `default`), if any. */
      enter?: string | null;
      /** The run's context after the step, when the step changed it. */
      context?: RunContext;
    }
  | {
      kind: 'wait';
      wait: StepWait;
      /** Shown as the step's result while it waits, and handed back on resume. */
      waiting: Record<string, unknown>;
    };

/** One step type. Waiting steps also resume. Handlers are idempotent: a retried call may run them again. */
export interface StepHandler<S extends Step = Step> {
  run(call: StepCall<S>): Promise<StepOutcome>;
  resume?(call: StepCall<S>, resume: ResumeInfo): Promise<StepOutcome>;
}

/** A failure a retry cannot fix: the step (and the run) ends ERROR with this message. */
export class StepFailed extends Error {
  constructor(message: string, readonly type = 'StepFailed') {
    super(message);
    this.name = 'StepFailed';
  }
}

/** A failure another attempt may fix (a 5xx, a timeout): the activity is retried with backoff. */
export class StepRetry extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepRetry';
  }
}

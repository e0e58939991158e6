import type { Step } from './step-schema';
import type { BatchDecision, RunContext, RunStatus } from './run-types';

/**
 * The one local activity a run workflow calls (`advanceRun`): the run row in Postgres is the
 * state, and the activity moves it forward — as many steps as it can until one must wait —
 * then tells the workflow what to wait for. Each step's bookkeeping rides in the same call.
 */
export interface AdvanceRequest {
  workspaceId: string;
  runId: string;
  /** The step waiting at `path` may go on: its timer fired, its signal came, or it timed out. */
  resume?: { path: string; reason: 'timer' | 'signal' | 'timeout'; batch?: BatchDecision };
  /** Code sequences: run this one step at this path (the interpreter reads its steps from the row). */
  step?: { path: string; step: Step };
  /** Code sequences: load the context the sequence code reads. */
  start?: boolean;
  /** Code sequences: the sequence returned; the run is PROCESSED. */
  finish?: boolean;
  /** Code sequences: the sequence's code threw; the run is ERROR with this message. */
  fail?: string;
  /** The workflow was canceled through Temporal (its row is canceled too). */
  cancel?: boolean;
}

export type AdvanceResult =
  /** The run is over (this call or an earlier one wrote its final status). */
  | { kind: 'done'; status: RunStatus; error?: string }
  /** The call used its time budget: call again. */
  | { kind: 'continue' }
  | { kind: 'sleep'; path: string; ms: number }
  /** Wait for the `runWake` signal with this key (or a batch decision), or the timeout. */
  | { kind: 'wait'; path: string; key: string; timeoutMs: number | null }
  /** Code sequences: the step ran; a small summary of its result. */
  | { kind: 'stepped'; result: unknown; flow: 'next' | 'stop' }
  /** Code sequences: the context the code reads (data may be trimmed when it is very large). */
  | { kind: 'started'; context: RunContext; trimmed: boolean };

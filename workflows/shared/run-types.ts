import type { Step } from './step-schema';
import type { JsonObject } from './json';

export type RunStatus = 'PROCESSING' | 'WAITING' | 'PROCESSED' | 'CANCELED' | 'ERROR';
export type StepStatus = RunStatus | 'SKIPPED' | 'NOT PROCESSED';
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['PROCESSED', 'CANCELED', 'ERROR'];
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['PROCESSING', 'WAITING'];

/** What steps read: the run's data, the recipient's profile, and who/what it is for. */
export interface RunContext {
  data: JsonObject;
  profile: JsonObject;
  recipient: string | null;
  brand: string | null;
  template: string | null;
}

/**
 * Input of a run workflow (interpreter or sequence): ids only. The run row in Postgres holds the
 * pinned steps, the context and the progress, so a 4 MB event never travels through Temporal.
 */
export interface RunInput {
  workspaceId: string;
  runId: string;
  kind: 'steps' | 'sequence';
  /** The sequence name for kind 'sequence'. */
  sequence: string | null;
}

/** Input of run workflows started before the batched pipeline: everything pinned in the input (workflows/legacy). */
export interface LegacyRunInput extends RunInput {
  steps: Step[];
  templateId: string | null;
  templateVersion: number | null;
  cancelationToken: string | null;
  context: RunContext;
  source: string;
  /** Template ids from the root run down to this one: an invoke of one of them is a cycle. */
  invokeChain: string[];
}

export interface RunResult {
  status: RunStatus;
  error?: string;
}

/** A track event routed to a legacy run waiting for it (the whole body travelled in the signal). */
export interface RoutedEvent {
  messageId: string;
  event: string;
  body: JsonObject;
}

/** What an add-to-batch collector tells each run it collected. */
export interface BatchDecision {
  key: string;
  role: 'leader' | 'member';
  leaderRunId: string;
  batch?: { count: number; items: unknown[] };
}

/** Workflow options computed on the Node side for a prepared run. */
export interface PreparedRun {
  runId: string;
  workflowId: string;
  workflowType: 'automationRun' | 'sequenceRun';
  /** Ids only for new runs; legacy callers (workflows/legacy) get the full pinned input. */
  input: RunInput | LegacyRunInput;
  /** Typed search attributes as plain pairs (the workflow side rebuilds the keys). */
  searchAttributes: Record<string, string>;
  /** Set when the run was recorded but must not start (singleton already running, or canceled at start). */
  ignored?: string;
}

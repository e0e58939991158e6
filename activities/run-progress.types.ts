import type { RunStatus, StepStatus } from '../workflows/shared/run-types';

/** One write of a run's progress: its status and/or one step's record. */
export interface ProgressUpdate {
  workspaceId: string;
  runId: string;
  run?: { status: RunStatus; error?: string | null };
  step?: StepRecord;
}

export interface StepRecord {
  /** Position in the step tree: "2", "3.paths[0].1", or "seq.4" for sequences. */
  path: string;
  /** Order of first execution within the run. */
  seq: number;
  action: string;
  status: StepStatus;
  startedAt: number | null;
  endedAt: number | null;
  result?: unknown;
  error?: string | null;
  messageId?: string | null;
}

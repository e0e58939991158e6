/** One firing of a Herald schedule, as the scheduled workflow knows it. */
export interface ScheduledFiring {
  workspaceId: string;
  scheduleId: string;
  /** The firing's nominal time (ISO, UTC). */
  scheduledAt: string;
  workflowId: string;
}

export interface ScheduledFiringResult {
  status: 'COMPLETED' | 'FAILED' | 'SKIPPED';
  /** What the target made: { request_id } for a send, { run_id } for a run, the broadcast's answer. */
  result?: Record<string, unknown> | null;
  error?: string | null;
  /** The firing in the schedule's zone (ISO with offset). */
  local_time?: string;
}

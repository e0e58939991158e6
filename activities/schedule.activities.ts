import { Context } from '@temporalio/activity';
import type { ScheduleRunner } from '../src/schedules/schedule-runner.service';
import { FIRING_ATTEMPTS } from '../workflows/schedules/firing-policy';

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

/** The scheduled workflow's activity (a local activity). */
export function createScheduleActivities({ runner }: { runner: ScheduleRunner }) {
  return {
    /** Idempotent: the target is performed with a key derived from the schedule id and the scheduled time. */
    fireSchedule: (firing: ScheduledFiring): Promise<ScheduledFiringResult> => {
      let attempt = FIRING_ATTEMPTS;
      try {
        attempt = Context.current().info.attempt;
      } catch {
        /* called outside an activity: one attempt, the last */
      }
      return runner.fire(firing, { attempt, lastAttempt: attempt >= FIRING_ATTEMPTS });
    },
  };
}

export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;

import { Context } from '@temporalio/activity';
import type { ScheduleRunner } from '../src/schedules/schedule-runner.service';
import type { ScheduledFiring, ScheduledFiringResult } from '../workflows/schedules/firing';
import { FIRING_ATTEMPTS } from '../workflows/schedules/firing-policy';

export type { ScheduledFiring, ScheduledFiringResult };

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

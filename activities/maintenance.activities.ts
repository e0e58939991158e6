import type { SweepService } from '../src/maintenance/sweep.service';

/** The maintenance workflow's activity (a local activity). */
export function createMaintenanceActivities({ sweeper }: { sweeper: SweepService }) {
  return {
    /** Idempotent: every fix it makes (a wake, a start, a settle) is safe to repeat. */
    sweep: (): Promise<Record<string, number>> => sweeper.sweep(),
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;

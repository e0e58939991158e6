import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { maintenanceScheduleId } from '../../workflows/shared/workflow-ids';

/**
 * The Temporal Schedule that runs the maintenance sweep (`herald-maintenance:<taskQueue>`,
 * visible in the Temporal UI). Created by a worker at start, or updated to the configured
 * interval; overlapping sweeps are skipped.
 */
export async function ensureMaintenanceSchedule(client: Client, taskQueue: string, everyMs: number): Promise<void> {
  const scheduleId = maintenanceScheduleId(taskQueue);
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType: 'maintenanceWorkflow', taskQueue, args: [], workflowId: `maintenance:${taskQueue}`, workflowRunTimeout: '5 minutes' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
  }
}

/** Removes the schedule (tests: each worker's own task queue; production keeps it). */
export async function removeMaintenanceSchedule(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.getHandle(maintenanceScheduleId(taskQueue)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

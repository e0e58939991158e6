import { proxyLocalActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../../activities/maintenance.activities';

const { sweep } = proxyLocalActivities<MaintenanceActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
});

/**
 * Started by the `herald-maintenance:<taskQueue>` Temporal Schedule: one local activity that
 * picks up what a crash left behind (ledger rows no dispatcher was woken for, runs whose start
 * was lost, outbox rows no emitter was woken for, matched waits whose signal was lost).
 */
export async function maintenanceWorkflow(): Promise<Record<string, number>> {
  return sweep();
}

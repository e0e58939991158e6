import { proxyLocalActivities } from '@temporalio/workflow';

/** The bench's bare baseline: a workflow that runs one no-op local activity (bundled by bench/baselines.ts). */
export interface BaselineActivities {
  noop(): Promise<void>;
}

const { noop } = proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareOneLocalActivity(): Promise<void> {
  await noop();
}

/** Readable, deterministic workflow ids: the workspace is always the second segment. */
export const ingestWorkflowId = (workspaceId: string, messageId: string) => `ingest:${workspaceId}:${messageId}`;
export const runWorkflowId = (workspaceId: string, runId: string) => `run:${workspaceId}:${runId}`;
export const dispatcherWorkflowId = (workspaceId: string, shard: number) => `dispatch:${workspaceId}:${shard}`;
export const emitterWorkflowId = (workspaceId: string) => `emitter:${workspaceId}`;
export const messageWorkflowId = (workspaceId: string, messageId: string) => `message:${workspaceId}:${messageId}`;
export const sendRequestWorkflowId = (workspaceId: string, requestId: string) => `send:${workspaceId}:${requestId}`;
/** One maintenance schedule per task queue (the workers that poll it run its sweeps). */
export const maintenanceScheduleId = (taskQueue: string) => `herald-maintenance:${taskQueue}`;

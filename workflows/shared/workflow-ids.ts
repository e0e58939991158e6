/** Readable, deterministic workflow ids: the workspace is always the second segment. */
export const ingestWorkflowId = (workspaceId: string, messageId: string) => `ingest:${workspaceId}:${messageId}`;
export const runWorkflowId = (workspaceId: string, runId: string) => `run:${workspaceId}:${runId}`;
export const dispatcherWorkflowId = (workspaceId: string, shard: number) => `dispatch:${workspaceId}:${shard}`;
export const emitterWorkflowId = (workspaceId: string) => `emitter:${workspaceId}`;
export const messageWorkflowId = (workspaceId: string, messageId: string) => `message:${workspaceId}:${messageId}`;
export const sendRequestWorkflowId = (workspaceId: string, requestId: string) => `send:${workspaceId}:${requestId}`;
export const broadcastWorkflowId = (workspaceId: string, broadcastId: string) => `broadcast:${workspaceId}:${broadcastId}`;
/** One maintenance schedule per task queue (the workers that poll it run its sweeps). */
export const maintenanceScheduleId = (taskQueue: string) => `herald-maintenance:${taskQueue}`;
/** One recompute per audience: a newer filter terminates the running one (WorkflowIdConflictPolicy TERMINATE_EXISTING). */
export const audienceRecomputeWorkflowId = (workspaceId: string, audienceId: string) => `audience-recompute:${workspaceId}:${audienceId}`;
export const eventReplayWorkflowId = (workspaceId: string, replayId: string) => `event-replay:${workspaceId}:${replayId}`;
/** A Herald schedule's Temporal Schedule, and the prefix of the workflows it starts (Temporal appends each firing's time). */
export const heraldScheduleId = (workspaceId: string, scheduleId: string) => `herald-schedule:${workspaceId}:${scheduleId}`;
export const scheduledWorkflowIdPrefix = (workspaceId: string, scheduleId: string) => `schedule:${workspaceId}:${scheduleId}`;

/** Readable, deterministic workflow ids: the workspace is always the second segment. */
export const ingestWorkflowId = (workspaceId: string, messageId: string) => `ingest:${workspaceId}:${messageId}`;
export const runWorkflowId = (workspaceId: string, runId: string) => `run:${workspaceId}:${runId}`;

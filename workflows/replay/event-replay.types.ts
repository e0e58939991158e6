/** What starts an event replay workflow (the service that starts it and the workflow share it). */
export interface EventReplayInput {
  workspaceId: string;
  replayId: string;
  pageSize: number;
  /** Pages per run before continue-as-new (history stays a few hundred events). */
  pagesPerRun: number;
}

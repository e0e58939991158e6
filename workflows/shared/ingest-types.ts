/** Input of the ingest workflow: small, the event body stays in Postgres (it may be megabytes). */
export interface IngestInput {
  workspaceId: string;
  /** Row id in inbound_events. */
  eventLogId: string;
  messageId: string;
  type: 'identify' | 'track' | 'group' | 'page' | 'screen' | 'alias';
  eventId: string;
  recipientId: string;
}

export type IngestOutcome = 'processed' | 'unmapped' | 'failed';

export interface IngestResult {
  outcome: IngestOutcome;
  runIds: string[];
  error?: string;
}

// The worker's workflow bundle entry: every workflow Herald registers.
export { ingestWorkflow } from './ingest';

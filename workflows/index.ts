// The worker's workflow bundle entry: every workflow type Herald registers.
export { ingestWorkflow } from './ingest';
export { automationRun } from './automation-run/automation-run.workflow';
export { sequenceRun } from './sequences/sequence-run.workflow';
export { batchCollector } from './batch/batch-collector.workflow';
export { messageWorkflow } from './delivery/message.workflow';
export { sendRequestWorkflow } from './delivery/send-request.workflow';
export { emitterWorkflow } from './emitter/emitter.workflow';

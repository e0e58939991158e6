// The worker's workflow bundle entry: every workflow type Herald registers.
export { dispatcher } from './ingest/dispatcher.workflow';
export { automationRun } from './automation-run/automation-run.workflow';
export { sequenceRun } from './sequences/sequence-run.workflow';
export { batchWindow } from './batch/batch-window.workflow';
export { messageWorkflow } from './delivery/message.workflow';
export { sendRequestWorkflow } from './delivery/send-request.workflow';
export { emitterWorkflow } from './emitter/emitter.workflow';
export { maintenanceWorkflow } from './maintenance/maintenance.workflow';
export { audienceRecomputeWorkflow } from './audiences/audience-recompute.workflow';
export { eventReplayWorkflow } from './replay/event-replay.workflow';
export { scheduledTargetWorkflow } from './schedules/scheduled-target.workflow';
export { broadcastWorkflow } from './broadcast/broadcast.workflow';
// No longer started: kept registered while runs started before the batched pipeline may exist.
export { ingestWorkflow } from './legacy/ingest.workflow';
export { batchCollector } from './batch/batch-collector.workflow';

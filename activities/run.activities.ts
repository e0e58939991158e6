import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import type { BatchItem, BatchSettings } from '../workflows/batch/batch-collector.workflow';
import type { JsonObject } from '../workflows/shared/json';
import type { MergeStrategy } from '../workflows/shared/merge';
import type { PreparedRun } from '../workflows/shared/run-types';
import { ApiError } from '../src/common/errors/api-error';
import { derivedUuid } from '../src/common/ids';
import type { CancelService } from '../src/automations/runs/cancel.service';
import type { RunsService } from '../src/automations/runs/runs.service';
import type { ThrottleService } from '../src/automations/runs/throttle.service';
import type { DeliveryService } from '../src/messages/delivery.service';
import type { DeliveryRequest } from '../src/messages/delivery.types';
import type { ProfilesService } from '../src/profiles/profiles.service';
import type { TemporalClientService } from '../src/temporal/temporal-client.service';
import type { ProgressUpdate } from './run-progress.types';

export interface RunActivityDeps {
  runs: RunsService;
  cancel: CancelService;
  throttle: ThrottleService;
  profiles: ProfilesService;
  delivery: DeliveryService;
  temporal: TemporalClientService;
}

/** Activities of run workflows (interpreter and sequences), built from the app's services. */
export function createRunActivities({ runs, cancel, throttle, profiles, delivery, temporal }: RunActivityDeps) {
  return {
    /** Idempotent: upserts the step record; a final run status is never overwritten. */
    recordProgress: (update: ProgressUpdate) => runs.recordProgress(update),

    /** Read-only. */
    async checkCancelTombstone(req: { workspaceId: string; token: string }): Promise<{ canceledAt: string | null }> {
      return { canceledAt: await runs.tombstone(req.workspaceId, req.token) };
    },

    /** Idempotent: insert-if-absent keyed by run and step. */
    registerWait: (w: { workspaceId: string; runId: string; path: string; workflowId: string; recipient: string; event: string }) =>
      runs.registerWait(w),

    /** Idempotent: delete by key. */
    unregisterWait: (w: { workspaceId: string; runId: string; path: string }) => runs.unregisterWait(w),

    /** Idempotent by messageId: delivery never sends one message id twice. (Runs recorded before delivery moved into the workflow.) */
    deliverMessage: (request: DeliveryRequest) => delivery.deliverNow(request),

    /** Idempotent: canceling a canceled run changes nothing; the tombstone is refreshed. */
    async cancelRunsByToken(req: { workspaceId: string; token: string; exceptRunId?: string }) {
      return { canceled: await cancel.cancelByToken(req.workspaceId, req.token, req.exceptRunId) };
    },

    /** Idempotent for the same profile and strategy. */
    updateProfile: (req: { workspaceId: string; userId: string; profile: JsonObject; strategy: MergeStrategy }) =>
      profiles.applyStrategy(req.workspaceId, req.userId, req.profile, req.strategy),

    /** Read-only. */
    getProfile: (req: { workspaceId: string; userId: string }) => profiles.get(req.workspaceId, req.userId),

    /** Idempotent: the child run id derives from the parent run and step. */
    async prepareInvokedRun(req: {
      workspaceId: string;
      parentRunId: string;
      stepPath: string;
      template: string;
      context: { data: JsonObject; profile?: JsonObject; recipient: string | null; brand: string | null };
      invokeChain: string[];
    }): Promise<PreparedRun> {
      try {
        return await runs.prepare({
          workspaceId: req.workspaceId,
          target: { kind: 'template', ref: req.template },
          context: req.context,
          source: `invoke/${req.template}`,
          runId: derivedUuid(req.workspaceId, 'invoke', req.parentRunId, req.stepPath),
          parentRunId: req.parentRunId,
          invokeChain: req.invokeChain,
        });
      } catch (err) {
        if (err instanceof ApiError) {
          throw ApplicationFailure.nonRetryable(`invoke ${req.template}: ${(err.getResponse() as { message: string }).message}`, 'InvokeFailed');
        }
        throw err;
      }
    },

    /** Idempotent: a decision is keyed by run and step. */
    throttleAcquire: (req: { workspaceId: string; key: string; maxAllowed: number; periodMs: number; requestId: string }) => throttle.acquire(req),

    /** Idempotent: the collector drops an item it already has (by run id). */
    async joinBatch(req: { workspaceId: string; key: string; settings: BatchSettings; item: BatchItem }): Promise<void> {
      const keyHash = createHash('sha256').update(req.key).digest('hex').slice(0, 32);
      await temporal.client.workflow.signalWithStart('batchCollector', {
        workflowId: `batch:${req.workspaceId}:${keyHash}`,
        taskQueue: temporal.taskQueue,
        args: [{ key: req.key, settings: req.settings }],
        signal: 'addBatchItem',
        signalArgs: [req.item],
      });
    },
  };
}

export type RunActivities = ReturnType<typeof createRunActivities>;

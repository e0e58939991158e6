import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { BatchItem, BatchSettings } from '../../workflows/batch/batch-collector.workflow';
import type { JsonObject } from '../../workflows/shared/json';
import type { MergeStrategy } from '../../workflows/shared/merge';
import type { PreparedRun, RunStatus, StepStatus } from '../../workflows/shared/run-types';
import { ApiError } from '../../src/common/errors/api-error';
import { derivedUuid } from '../../src/common/ids';
import type { HeraldConfig } from '../../src/config/herald-config';
import type { CancelService } from '../../src/automations/runs/cancel.service';
import { legacyInput, RunPlanner } from '../../src/automations/runs/run-planner.service';
import type { RunsRepository } from '../../src/automations/runs/runs.repository';
import type { ThrottleService } from '../../src/automations/runs/throttle.service';
import { DeliveryService, RetryDelivery } from '../../src/messages/delivery.service';
import type { DeliveryRequest } from '../../src/messages/delivery.types';
import type { ProfilesService } from '../../src/profiles/profiles.service';
import type { TemporalClientService } from '../../src/temporal/temporal-client.service';

/** One write of a legacy run's progress: its status and/or one step's record. */
export interface ProgressUpdate {
  workspaceId: string;
  runId: string;
  run?: { status: RunStatus; error?: string | null };
  step?: { path: string; seq: number; action: string; status: StepStatus; startedAt: number | null; endedAt: number | null; result?: unknown; error?: string | null; messageId?: string | null };
}

export interface LegacyRunDeps {
  db: DataSource;
  config: HeraldConfig;
  repo: RunsRepository;
  planner: RunPlanner;
  cancel: CancelService;
  throttle: ThrottleService;
  profiles: ProfilesService;
  delivery: DeliveryService;
  temporal: TemporalClientService;
}

/**
 * Activities of run workflows started before the lean driver (workflows/legacy), with the same
 * names and contracts, over today's services: kept so those runs finish.
 */
export function createLegacyRunActivities({ db, config, repo, planner, cancel, throttle, profiles, delivery, temporal }: LegacyRunDeps) {
  return {
    /** Idempotent: upserts the step record; a final run status is never overwritten. */
    recordProgress: (update: ProgressUpdate) => repo.legacyProgress(update.workspaceId, update.runId, update.step, update.run),

    /** Read-only. */
    async checkCancelTombstone(req: { workspaceId: string; token: string }): Promise<{ canceledAt: string | null }> {
      const t = (await repo.tombstones(db, req.workspaceId, [req.token])).get(req.token);
      const within = t && Date.now() - t.canceledAt.getTime() < config.cancelTombstoneTtlMs;
      return { canceledAt: within ? t.canceledAt.toISOString() : null };
    },

    /** Idempotent: insert-if-absent keyed by run and step. */
    registerWait: (w: { workspaceId: string; runId: string; path: string; workflowId: string; recipient: string; event: string }) => repo.registerLegacyWait(w),

    /** Idempotent: delete by key. */
    unregisterWait: (w: { workspaceId: string; runId: string; path: string }) => repo.unregisterWait(w.workspaceId, w.runId, w.path),

    /** Idempotent by messageId. (Runs recorded before delivery moved into the workflow.) */
    async deliverMessage(request: DeliveryRequest) {
      try {
        return await delivery.deliver(request);
      } catch (err) {
        if (err instanceof RetryDelivery) throw new Error(err.message);
        throw err;
      }
    },

    /** Idempotent: canceling a canceled run changes nothing. */
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
      workspaceId: string; parentRunId: string; stepPath: string; template: string;
      context: { data: JsonObject; profile?: JsonObject; recipient: string | null; brand: string | null }; invokeChain: string[];
    }): Promise<PreparedRun> {
      try {
        const planned = await db.transaction((tx) =>
          planner.planOne(tx, req.workspaceId, {
            target: { kind: 'template', ref: req.template },
            context: req.context,
            source: `invoke/${req.template}`,
            runId: derivedUuid(req.workspaceId, 'invoke', req.parentRunId, req.stepPath),
            parentRunId: req.parentRunId,
          }),
        );
        return { ...planned.prepared, input: legacyInput(planned.row, req.invokeChain), ignored: planned.notStarted };
      } catch (err) {
        if (err instanceof ApiError) throw ApplicationFailure.nonRetryable(`invoke ${req.template}: ${(err.getResponse() as { message: string }).message}`, 'InvokeFailed');
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

export type RunActivities = ReturnType<typeof createLegacyRunActivities>;

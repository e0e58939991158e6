import { Inject, Injectable } from '@nestjs/common';
import { ScheduleAlreadyRunning, ScheduleDescription, ScheduleNotFoundError, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { TemporalRejectedError, temporalFailure } from '../temporal/temporal-errors';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { heraldScheduleId, scheduledWorkflowIdPrefix } from '../../workflows/shared/workflow-ids';

/** Catch-up after a Temporal outage: a firing missed by more than this is skipped, not sent late. */
export const CATCHUP_WINDOW: Duration = '1 hour';
const PAUSED_NOTE = 'paused through Herald (PUT /schedules/{id} with paused: true)';

/**
 * The Temporal side of Herald schedules: one Temporal Schedule per Herald schedule
 * (`herald-schedule:<workspace>:<id>`), starting `scheduledTargetWorkflow` with ids only.
 * Every call has the API's deadline; failures become 503 (retry) or 502 (rejected for good).
 */
@Injectable()
export class ScheduleTemporal {
  constructor(
    private readonly temporal: TemporalClientService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  scheduleId(workspaceId: string, id: string): string {
    return heraldScheduleId(workspaceId, id);
  }

  /** Makes the Temporal Schedule say exactly this (created, or updated whatever it said before). */
  async upsert(workspaceId: string, id: string, spec: ScheduleSpec, paused: boolean): Promise<void> {
    const scheduleId = this.scheduleId(workspaceId, id);
    const action = {
      type: 'startWorkflow' as const,
      workflowType: 'scheduledTargetWorkflow',
      taskQueue: this.temporal.taskQueue,
      workflowId: scheduledWorkflowIdPrefix(workspaceId, id),
      args: [{ workspaceId, scheduleId: id }],
      workflowRunTimeout: '10 minutes' as Duration,
      typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW, pauseOnFailure: false };
    const state = { paused, note: paused ? PAUSED_NOTE : '' };
    const handle = this.temporal.client.schedule.getHandle(scheduleId);
    await this.call(async () => {
      try {
        await handle.update((previous) => ({ ...previous, spec, action, policies, state }));
        return;
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
      try {
        await this.temporal.client.schedule.create({
          scheduleId, spec, action, policies, state,
          memo: { herald_workspace: workspaceId, herald_schedule: id },
          typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
        });
      } catch (err) {
        // Created meanwhile (a concurrent PUT for a new id): make it say this one.
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await handle.update((previous) => ({ ...previous, spec, action, policies, state }));
      }
    });
  }

  /** Replaces only the spec (an RRULE's next occurrences), keeping pause and everything else. */
  async updateSpec(workspaceId: string, id: string, spec: ScheduleSpec): Promise<void> {
    await this.call(() => this.temporal.client.schedule.getHandle(this.scheduleId(workspaceId, id)).update((previous) => ({ ...previous, spec })));
  }

  /** Deletes it; one already gone counts as deleted. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.call(async () => {
      try {
        await this.temporal.client.schedule.getHandle(this.scheduleId(workspaceId, id)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    });
  }

  /** The description, or null when Temporal has no such schedule. Throws when Temporal cannot be asked. */
  async describe(workspaceId: string, id: string, deadlineMs = 3_000): Promise<ScheduleDescription | null> {
    return this.call(async () => {
      try {
        return await this.temporal.client.schedule.getHandle(this.scheduleId(workspaceId, id)).describe();
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return null;
        throw err;
      }
    }, deadlineMs);
  }

  /** The status of a workflow a firing started (RUNNING, COMPLETED, FAILED, ...), or null. */
  async workflowStatus(workflowId: string, runId?: string): Promise<string | null> {
    try {
      const d = await this.temporal.withDeadline(() => this.temporal.client.workflow.getHandle(workflowId, runId).describe(), 2_000);
      return d.status.name;
    } catch {
      return null;
    }
  }

  /** Fires it now (an operator's "run now"), even while an earlier firing still runs. Throws ScheduleNotFoundError when missing. */
  async trigger(workspaceId: string, id: string): Promise<void> {
    const handle = this.temporal.client.schedule.getHandle(this.scheduleId(workspaceId, id));
    try {
      await this.temporal.withDeadline(() => handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL));
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw err;
      throw temporalFailure(err, this.config.retryAfterSeconds);
    }
  }

  uiLink(workspaceId: string, id: string): string | null {
    const base = this.config.temporal.uiUrl;
    if (!base) return null;
    return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(this.config.temporal.namespace)}/schedules/${encodeURIComponent(this.scheduleId(workspaceId, id))}`;
  }

  private async call<T>(fn: () => Promise<T>, deadlineMs?: number): Promise<T> {
    try {
      return await this.temporal.withDeadline(fn, deadlineMs);
    } catch (err) {
      // The SDK's answer to "Invalid schedule spec" (say, a zone Temporal's time zone database lacks): not worth a retry.
      if (err instanceof TypeError) throw new TemporalRejectedError('INVALID_ARGUMENT', err.message);
      throw temporalFailure(err, this.config.retryAfterSeconds);
    }
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ScheduledFiring, ScheduledFiringResult } from '../../workflows/schedules/firing';
import { InvokeService } from '../automations/runs/invoke.service';
import { BroadcastsService } from '../broadcasts/broadcasts.service';
import { ApiError } from '../common/errors/api-error';
import { SendService } from '../messages/send.service';
import { findSchedule, lockSchedule, ScheduleRow, timingOf } from './schedule-row';
import { FED_OCCURRENCES, localTime, occurrencesSpec, planTiming } from './schedule-plan';
import { ScheduleTemporal } from './schedule-temporal.service';

/**
 * One firing of a schedule (the local activity of scheduledTargetWorkflow): reads the
 * definition from Postgres, performs the target with an idempotency key made of the schedule id
 * and the scheduled time (so a retried activity or workflow acts once), records the outcome as
 * the schedule's last run, and refills an RRULE fed to Temporal as occurrences.
 */
@Injectable()
export class ScheduleRunner {
  private readonly logger = new Logger('ScheduleRunner');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly temporal: ScheduleTemporal,
    private readonly sends: SendService,
    private readonly invokes: InvokeService,
    private readonly broadcasts: BroadcastsService,
  ) {}

  async fire(firing: ScheduledFiring, { lastAttempt }: { attempt: number; lastAttempt: boolean }): Promise<ScheduledFiringResult> {
    const { workspaceId, scheduleId, scheduledAt, workflowId } = firing;
    const row = await findSchedule(this.db, workspaceId, scheduleId);
    if (!row) {
      await this.removeOrphan(workspaceId, scheduleId);
      return { status: 'SKIPPED', error: 'the schedule no longer exists; its Temporal Schedule was deleted' };
    }
    const local_time = localTime(scheduledAt, row.timezone);
    if (row.paused) {
      // Temporal should be paused too: a firing that raced a pause does nothing.
      await this.record(row, firing, 'SKIPPED', null, 'the schedule is paused');
      return { status: 'SKIPPED', error: 'the schedule is paused', local_time };
    }
    let result: Record<string, unknown>;
    try {
      result = await this.perform(row, scheduledAt, local_time);
    } catch (err) {
      const permanent = err instanceof ApiError && err.getStatus() < 500;
      const message = err instanceof ApiError ? (err.getResponse() as { message: string }).message : (err as Error).message;
      if (permanent || lastAttempt) {
        await this.record(row, firing, 'FAILED', null, message);
        await this.refill(row);
        if (permanent) return { status: 'FAILED', error: message, local_time };
      }
      throw err;
    }
    await this.record(row, firing, 'COMPLETED', result, null);
    await this.refill(row);
    this.logger.debug(`schedule ${scheduleId} fired for ${scheduledAt} (${workflowId})`);
    return { status: 'COMPLETED', result, local_time };
  }

  /** What the target does, keyed by the firing so that repeating it does nothing new. */
  private async perform(row: ScheduleRow, scheduledAt: string, local_time: string): Promise<Record<string, unknown>> {
    const key = `schedule:${row.id}:${scheduledAt}`;
    // Templates see when and in which zone the firing was (the schedule's own data wins on a clash).
    const data = { schedule: { id: row.id, scheduled_at: scheduledAt, timezone: row.timezone, local_time }, ...(row.data ?? {}) };
    const t = row.target;
    if ('template' in t) {
      const { requestId } = await this.sends.send(row.workspace_id, { message: { template: t.template, to: t.to, data } }, key);
      return { request_id: requestId };
    }
    if ('automation' in t) {
      const { runId } = await this.invokes.invokeTemplate(row.workspace_id, t.automation, { recipient: t.recipient, data }, key, 'schedule');
      return { run_id: runId };
    }
    if ('sequence' in t) {
      const { runId } = await this.invokes.invokeSequence(row.workspace_id, t.sequence, { recipient: t.recipient, data }, key);
      return { run_id: runId };
    }
    const copy = await this.broadcasts.launchCopy(row.workspace_id, t.broadcast, `${row.id}@${scheduledAt}`);
    return { broadcast_id: copy.id, status: copy.status };
  }

  /** The newest firing wins the last-run columns (a late retry of an older one does not overwrite it). */
  private async record(row: ScheduleRow, firing: ScheduledFiring, status: 'COMPLETED' | 'FAILED' | 'SKIPPED', result: Record<string, unknown> | null, error: string | null) {
    await this.db.query(
      `UPDATE schedules SET last_run_at = $3, last_run_workflow_id = $4, last_run_status = $5, last_run_result = $6, last_run_error = $7
       WHERE workspace_id = $1 AND id = $2 AND (last_run_at IS NULL OR last_run_at <= $3)`,
      [row.workspace_id, row.id, firing.scheduledAt, firing.workflowId, status, result ? JSON.stringify(result) : null, error ? error.slice(0, 2000) : null],
    );
  }

  /**
   * An RRULE Temporal cannot express is fed its next occurrences: after each firing the list is
   * recomputed from the current definition (under the schedule's lock, so it never undoes a PUT).
   */
  private async refill(row: ScheduleRow): Promise<void> {
    if (row.kind !== 'rrule') return;
    await this.db.transaction(async (tx) => {
      await lockSchedule(tx, row.workspace_id, row.id);
      const current = await findSchedule(tx, row.workspace_id, row.id);
      if (!current || current.kind !== 'rrule') return;
      const now = Date.now();
      const plan = planTiming(timingOf(current), now);
      if (plan.mode !== 'occurrences') return;
      await this.temporal.updateSpec(row.workspace_id, row.id, occurrencesSpec(plan.nextRuns(now, FED_OCCURRENCES), current.timezone));
    });
  }

  /** A firing of a schedule whose row is gone (deleted while Temporal was out of step, or its workspace deleted). */
  private async removeOrphan(workspaceId: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Waits for a PUT creating this id right now; only a schedule still without a row is removed.
      await lockSchedule(tx, workspaceId, id);
      if (await findSchedule(tx, workspaceId, id)) return;
      await this.temporal.delete(workspaceId, id);
    });
  }
}

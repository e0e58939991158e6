import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ScheduleDescription, ScheduleNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { ApiError, badRequest, conflict, notFound } from '../common/errors/api-error';
import { firstNulPath } from '../common/json/nul-characters';
import { Keyset, Page } from '../common/http/pagination';
import { isTimeZone } from '../common/time/delivery-window';
import { DeliveryWindowsService } from '../messages/delivery-windows.service';
import { findSchedule, lockSchedule, ScheduleRow, timingOf } from './schedule-row';
import { parseAt, planTiming, PlanMode, ScheduleKind, SchedulePlan, TimingError } from './schedule-plan';
import { parseTarget, ScheduleTarget } from './schedule-target';
import { ScheduleTemporal } from './schedule-temporal.service';

const SCHEDULES_KEYSET = new Keyset([{ column: 'id', type: 'text' }], 'ASC');
const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const BODY_FIELDS = ['cron', 'rrule', 'at', 'timezone', 'target', 'data', 'paused'];
const KINDS: ScheduleKind[] = ['cron', 'rrule', 'at'];
const NEXT_RUNS = 5;

export interface LastRunView {
  at: string;
  workflow_id: string;
  /** COMPLETED, FAILED or SKIPPED as the firing recorded it; Temporal's workflow status (RUNNING, ...) until it has. */
  status: string;
  result: Record<string, unknown> | null;
  error: string | null;
}

export interface ScheduleView {
  id: string;
  cron?: string;
  rrule?: string;
  at?: string;
  timezone: string;
  target: ScheduleTarget;
  data: Record<string, unknown>;
  paused: boolean;
  /** The next firings (ISO, UTC), at most 5; none while paused. */
  next_runs: string[];
  /** temporal: the Temporal Schedule's own next action times; herald: Herald's reading of the timing (Temporal not asked or unreachable). */
  next_runs_source: 'temporal' | 'herald';
  last_run: LastRunView | null;
  temporal: {
    schedule_id: string;
    /** calendar: Temporal evaluates the timing; occurrences: an RRULE Temporal cannot express, fed as its next occurrences. */
    spec_mode: PlanMode;
    /** ok; missing: Temporal has no such schedule (the next PUT or trigger recreates it); unavailable: Temporal could not be asked. */
    status: 'ok' | 'missing' | 'unavailable' | 'not_checked';
    ui_url: string | null;
  };
  created_at: string;
  updated_at: string;
}

interface ScheduleInput {
  kind: ScheduleKind;
  raw: string;
  timezone: string | null;
  target: ScheduleTarget;
  data: Record<string, unknown>;
  paused: boolean;
}

/**
 * Schedules: a cron, RRULE or one-off time with a timezone, firing a /send, an automation or
 * sequence run, or a broadcast, each backed by a Temporal Schedule.
 *
 * Postgres holds the definition (the source of truth); the Temporal Schedule is kept in step in
 * the same request: PUT and DELETE take the schedule's advisory lock in a transaction, write the
 * row, make the Temporal call, and commit only when Temporal took it. With Temporal down the
 * transaction rolls back and the answer is 503 with Retry-After, so nothing is stored half-done.
 * (Should the commit itself fail after Temporal took the change, the next PUT or trigger puts
 * Temporal back in step, and a firing of a schedule with no row deletes its Temporal Schedule.)
 */
@Injectable()
export class SchedulesService {
  private readonly logger = new Logger('Schedules');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly temporal: ScheduleTemporal,
    private readonly windows: DeliveryWindowsService,
  ) {}

  async put(workspaceId: string, id: string, body: unknown): Promise<ScheduleView> {
    checkId(id);
    const input = parseBody(body);
    const zone = input.timezone ?? rruleZone(input) ?? (await this.windows.settings(workspaceId)).default_timezone ?? 'UTC';
    await this.db.transaction(async (tx) => {
      await lockSchedule(tx, workspaceId, id);
      const existing = await findSchedule(tx, workspaceId, id);
      const now = Date.now();
      const anchor = existing?.anchor_at ?? new Date(Math.floor(now / 60_000) * 60_000);
      let expression = input.raw.trim();
      if (input.kind === 'at') {
        const at = timing(() => parseAt(input.raw, zone));
        if (at <= now) throw badRequest(`at ${JSON.stringify(input.raw)} is in the past: a one-off schedule needs a time in the future`);
        expression = new Date(at).toISOString();
      }
      const plan = timing(() => planTiming({ kind: input.kind, expression, timezone: zone, anchorMs: anchor.getTime() }, now));
      if (input.kind === 'rrule' && !plan.nextRuns(now, 1).length) throw badRequest('rrule has no occurrences after now (its COUNT or UNTIL has passed, or its INTERVAL never lands on its BYHOUR or BYMINUTE)');
      await tx.query(
        `INSERT INTO schedules (workspace_id, id, kind, expression, timezone, anchor_at, target, data, paused)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (workspace_id, id) DO UPDATE SET kind = EXCLUDED.kind, expression = EXCLUDED.expression, timezone = EXCLUDED.timezone,
           target = EXCLUDED.target, data = EXCLUDED.data, paused = EXCLUDED.paused, updated_at = now()`,
        [workspaceId, id, input.kind, expression, zone, anchor, JSON.stringify(input.target), JSON.stringify(input.data), input.paused],
      );
      // Inside the transaction: if Temporal does not take it, nothing is stored.
      await this.temporal.upsert(workspaceId, id, plan.spec, input.paused);
    });
    return this.get(workspaceId, id);
  }

  async get(workspaceId: string, id: string): Promise<ScheduleView> {
    const row = await findSchedule(this.db, workspaceId, id);
    if (!row) throw notFound(`schedule ${JSON.stringify(id)} not found`);
    let description: ScheduleDescription | null | undefined;
    try {
      description = await this.temporal.describe(workspaceId, id);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.logger.warn(`could not describe schedule ${id}: ${err.message}`);
      description = undefined;
    }
    const view = this.view(row, description === undefined ? 'unavailable' : description === null ? 'missing' : 'ok');
    if (description) {
      view.next_runs_source = 'temporal';
      view.next_runs = row.paused ? [] : description.info.nextActionTimes.slice(0, NEXT_RUNS).map((d) => d.toISOString());
      const recent = description.info.recentActions[description.info.recentActions.length - 1];
      const workflow = recent?.action.workflow;
      if (workflow && workflow.workflowId !== row.last_run_workflow_id && (!row.last_run_at || recent.scheduledAt.getTime() >= row.last_run_at.getTime())) {
        // Started by Temporal, not yet recorded by its activity.
        const status = (await this.temporal.workflowStatus(workflow.workflowId, workflow.firstExecutionRunId)) ?? 'RUNNING';
        view.last_run = { at: recent.scheduledAt.toISOString(), workflow_id: workflow.workflowId, status, result: null, error: null };
      }
    }
    return view;
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<ScheduleView>> {
    const params: unknown[] = [workspaceId];
    const after = SCHEDULES_KEYSET.where(cursor, params);
    const rows = (await this.db.query(
      `SELECT * FROM schedules WHERE workspace_id = $1 ${after ? `AND ${after}` : ''} ORDER BY ${SCHEDULES_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as ScheduleRow[];
    return SCHEDULES_KEYSET.pageOf(rows, limit, (r) => this.view(r, 'not_checked'), (r) => [r.id]);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockSchedule(tx, workspaceId, id);
      const [, affected] = (await tx.query('DELETE FROM schedules WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as [unknown, number];
      if (!affected) throw notFound(`schedule ${JSON.stringify(id)} not found`);
      // Inside the transaction: with Temporal down the row stays (503), so the two never disagree.
      await this.temporal.delete(workspaceId, id);
    });
  }

  /** Fires the schedule now (what Temporal's "trigger" does); a Temporal Schedule gone missing is recreated first. */
  async trigger(workspaceId: string, id: string): Promise<{ triggered: true; schedule_id: string }> {
    const row = await findSchedule(this.db, workspaceId, id);
    if (!row) throw notFound(`schedule ${JSON.stringify(id)} not found`);
    if (row.paused) throw conflict('schedule is paused: unpause it (PUT with paused: false) to trigger it');
    try {
      await this.temporal.trigger(workspaceId, id);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await this.resync(workspaceId, id);
      await this.temporal.trigger(workspaceId, id);
    }
    return { triggered: true, schedule_id: this.temporal.scheduleId(workspaceId, id) };
  }

  /** Puts the Temporal Schedule back in step with the stored definition. */
  private async resync(workspaceId: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockSchedule(tx, workspaceId, id);
      const row = await findSchedule(tx, workspaceId, id);
      if (!row) throw notFound(`schedule ${JSON.stringify(id)} not found`);
      await this.temporal.upsert(workspaceId, id, planTiming(timingOf(row), Date.now()).spec, row.paused);
    });
  }

  private view(row: ScheduleRow, status: ScheduleView['temporal']['status']): ScheduleView {
    let plan: SchedulePlan | null = null;
    try {
      plan = planTiming(timingOf(row), Date.now());
    } catch {
      /* a stored timing this version cannot read: shown without next runs */
    }
    return {
      id: row.id,
      [row.kind]: row.expression,
      timezone: row.timezone,
      target: row.target,
      data: row.data ?? {},
      paused: row.paused,
      next_runs: row.paused || !plan ? [] : plan.nextRuns(Date.now(), NEXT_RUNS).map((ms) => new Date(ms).toISOString()),
      next_runs_source: 'herald',
      last_run: row.last_run_at && row.last_run_workflow_id
        ? { at: row.last_run_at.toISOString(), workflow_id: row.last_run_workflow_id, status: row.last_run_status ?? 'COMPLETED', result: row.last_run_result, error: row.last_run_error }
        : null,
      temporal: { schedule_id: this.temporal.scheduleId(row.workspace_id, row.id), spec_mode: plan?.mode ?? 'calendar', status, ui_url: this.temporal.uiLink(row.workspace_id, row.id) },
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    };
  }
}

function checkId(id: string): void {
  if (!SCHEDULE_ID.test(id)) throw badRequest('schedule id must be 1-200 letters, digits, _, . or -, starting with a letter or digit');
}

/** A TimingError as a 400 naming its field. */
function timing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TimingError) throw badRequest(err.message);
    throw err;
  }
}

/** The zone of an RRULE's `DTSTART;TZID=...` line, which stands in for an absent timezone. */
function rruleZone(input: ScheduleInput): string | null {
  if (input.kind !== 'rrule') return null;
  const m = /^DTSTART;TZID=([^:;]+):/im.exec(input.raw);
  return m && isTimeZone(m[1]) ? m[1] : null;
}

function parseBody(body: unknown): ScheduleInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be { cron | rrule | at, timezone?, target, data?, paused? }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !BODY_FIELDS.includes(k));
  if (unknown.length) throw badRequest(`unknown field ${JSON.stringify(unknown[0])}: a schedule takes ${BODY_FIELDS.join(', ')}`);
  const given = KINDS.filter((k) => b[k] !== undefined && b[k] !== null);
  if (given.length !== 1) {
    throw badRequest(given.length ? `give exactly one of cron, rrule or at, not ${given.join(' and ')}` : 'give one of cron (such as "0 9 * * MON"), rrule (such as "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9") or at (an ISO date-time)');
  }
  const kind = given[0];
  if (typeof b[kind] !== 'string') throw badRequest(`${kind} must be a string`);
  const raw = b[kind] as string;
  if (raw.includes('\u0000')) throw badRequest(`${kind} contains a NUL character (\\u0000)`);
  let timezone: string | null = null;
  if (b.timezone !== undefined && b.timezone !== null) {
    if (!isTimeZone(b.timezone)) throw badRequest(`timezone ${JSON.stringify(String(b.timezone).slice(0, 64))} is not an IANA time zone such as "Europe/Oslo"`);
    timezone = b.timezone;
  }
  if (b.target === undefined) throw badRequest('target is required: { template, to }, { automation, recipient }, { sequence, recipient } or { broadcast }');
  const target = parseTarget(b.target);
  let data: Record<string, unknown> = {};
  if (b.data !== undefined && b.data !== null) {
    if (typeof b.data !== 'object' || Array.isArray(b.data)) throw badRequest('data must be a JSON object');
    const nul = firstNulPath(b.data, 'data');
    if (nul) throw badRequest(`${nul} contains a NUL character (\\u0000), which cannot be stored`);
    if (JSON.stringify(b.data).length > 64_000) throw badRequest('data is larger than 64 KB');
    data = b.data as Record<string, unknown>;
  }
  if (b.paused !== undefined && typeof b.paused !== 'boolean') throw badRequest('paused must be true or false');
  return { kind, raw, timezone, target, data, paused: b.paused === true };
}

import type { Queryable } from '../database/queryable';
import type { ScheduleKind, ScheduleTiming } from './schedule-plan';
import type { ScheduleTarget } from './schedule-target';

/** A row of `schedules`: the definition (source of truth) and what its last firing did. */
export interface ScheduleRow {
  workspace_id: string;
  id: string;
  kind: ScheduleKind;
  expression: string;
  timezone: string;
  anchor_at: Date;
  target: ScheduleTarget;
  data: Record<string, unknown>;
  paused: boolean;
  last_run_at: Date | null;
  last_run_workflow_id: string | null;
  last_run_status: 'COMPLETED' | 'FAILED' | 'SKIPPED' | null;
  last_run_result: Record<string, unknown> | null;
  last_run_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export function timingOf(row: Pick<ScheduleRow, 'kind' | 'expression' | 'timezone' | 'anchor_at'>): ScheduleTiming {
  return { kind: row.kind, expression: row.expression, timezone: row.timezone, anchorMs: row.anchor_at.getTime() };
}

export async function findSchedule(db: Queryable, workspaceId: string, id: string): Promise<ScheduleRow | undefined> {
  const rows = (await db.query('SELECT * FROM schedules WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as ScheduleRow[];
  return rows[0];
}

/**
 * Serialises everything that writes one schedule's definition or its Temporal Schedule (PUT,
 * DELETE, a firing's refill, an orphan's clean-up) for the rest of the caller's transaction.
 * An advisory lock rather than a row lock: it holds for an id that has no row yet.
 */
export async function lockSchedule(tx: Queryable, workspaceId: string, id: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`herald-schedule:${workspaceId}:${id}`]);
}

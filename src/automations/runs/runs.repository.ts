import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JsonObject } from '../../../workflows/shared/json';
import type { RunContext, RunStatus, StepStatus } from '../../../workflows/shared/run-types';
import type { Step } from '../../../workflows/shared/step-schema';
import { runEvent, RunEventStatus } from '../../outbox/outbound-event';
import type { Queryable } from '../../database/queryable';
import { INTEGRATION_STATE, OutboxService } from '../../outbox/outbox.service';

/** An automation_runs row as stored. */
export interface RunRow {
  workspace_id: string;
  id: string;
  workflow_id: string;
  kind: 'steps' | 'sequence';
  template_id: string | null;
  template_version: number | null;
  template_name: string | null;
  sequence: string | null;
  steps: Step[];
  source: string;
  recipient: string | null;
  cancelation_token: string | null;
  status: RunStatus;
  context: RunContext;
  refs: Record<string, unknown>;
  cursor: string | null;
  seq: number;
  parent_run_id: string | null;
  event_log_id: string | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  wake_at: Date | null;
}

/** A run row to insert (see RunPlanner). */
export interface NewRun {
  workspaceId: string;
  runId: string;
  workflowId: string;
  kind: 'steps' | 'sequence';
  templateId: string | null;
  templateVersion: number | null;
  templateName: string | null;
  sequence: string | null;
  steps: Step[];
  source: string;
  recipient: string | null;
  cancelationToken: string | null;
  singletonKey: string | null;
  status: 'PROCESSING' | 'CANCELED';
  error: string | null;
  context: RunContext;
  parentRunId: string | null;
  eventLogId: string | null;
  /** The catalog id of the triggering event (search attribute only; not a column). */
  eventId: string | null;
}

/** One step's record. */
export interface StepRecord {
  path: string;
  seq: number;
  action: string;
  status: StepStatus;
  startedAt: number;
  endedAt: number | null;
  result?: unknown;
  error?: string | null;
  messageId?: string | null;
  attempts?: number;
}

export interface StepCompletion {
  record: StepRecord;
  /** A wait-for that resumed: its wait row goes in the same transaction. */
  removeWait?: string;
  /** Where the run goes on (null: nothing left). */
  cursor: string | null;
  seq: number;
  context?: RunContext;
  refs?: Record<string, unknown>;
  /** The run ends with this step. */
  final?: { status: RunStatus; error?: string | null };
}

export interface WaitEntry {
  path: string;
  recipient: string;
  event: string;
  match: unknown;
  timeoutMs: number;
}

export type CanceledRun = { id: string; workflow_id: string; started_at: Date | null };

const ACTIVE = `('PROCESSING', 'WAITING')`;

/**
 * Every write to automation_runs, its steps and its waits. The run row is the source of truth
 * for "is this run still going": a step starts only by a compare-and-set on it, and a final
 * status is never overwritten. Final statuses append their journey event to the outbox in the
 * same transaction.
 */
@Injectable()
export class RunsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly outbox: OutboxService) {}

  /** Inserts runs in one statement; returns the ids it inserted (others existed, or hit the singleton index). */
  async insertMany(tx: Queryable, runs: NewRun[]): Promise<Set<string>> {
    if (!runs.length) return new Set();
    const rows = (await tx.query(
      `INSERT INTO automation_runs (workspace_id, id, workflow_id, kind, template_id, template_version, template_name, sequence,
         steps, source, recipient, cancelation_token, singleton_key, status, error, context, parent_run_id, event_log_id, finished_at, started_at)
       SELECT r->>'workspaceId', (r->>'runId')::uuid, r->>'workflowId', r->>'kind', (r->>'templateId')::uuid, (r->>'templateVersion')::int,
         r->>'templateName', r->>'sequence', r->'steps', r->>'source', r->>'recipient', r->>'cancelationToken', r->>'singletonKey',
         r->>'status', r->>'error', r->'context', (r->>'parentRunId')::uuid, (r->>'eventLogId')::bigint,
         CASE WHEN r->>'status' = 'CANCELED' THEN now() END, NULL
       FROM jsonb_array_elements($1::jsonb) AS t(r)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(runs)],
    )) as Array<{ id: string }>;
    return new Set(rows.map((r) => r.id));
  }

  async existing(tx: Queryable, workspaceId: string, ids: string[]): Promise<Map<string, { status: RunStatus; started_at: Date | null }>> {
    if (!ids.length) return new Map();
    const rows = (await tx.query('SELECT id, status, started_at FROM automation_runs WHERE workspace_id = $1 AND id = ANY($2::uuid[])', [workspaceId, ids])) as Array<{
      id: string; status: RunStatus; started_at: Date | null;
    }>;
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The active run holding each singleton key (upgrade-nudge for a user). */
  async singletonHolders(tx: Queryable, workspaceId: string, keys: string[]): Promise<Map<string, string>> {
    if (!keys.length) return new Map();
    const rows = (await tx.query(
      `SELECT singleton_key, id FROM automation_runs WHERE workspace_id = $1 AND singleton_key = ANY($2) AND status IN ${ACTIVE}`,
      [workspaceId, keys],
    )) as Array<{ singleton_key: string; id: string }>;
    return new Map(rows.map((r) => [r.singleton_key, r.id]));
  }

  async markStarted(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.query('UPDATE automation_runs SET started_at = COALESCE(started_at, now()) WHERE id = ANY($1::uuid[])', [ids]);
  }

  async load(workspaceId: string, runId: string): Promise<RunRow | null> {
    const rows = (await this.db.query('SELECT * FROM automation_runs WHERE workspace_id = $1 AND id = $2', [workspaceId, runId])) as RunRow[];
    return rows[0] ?? null;
  }

  /**
   * The compare-and-set a step starts with: only a run that is still active goes on (a cancel
   * that committed first wins; one that comes after finds the step started). Returns the row,
   * or null when the run has ended.
   */
  async claim(workspaceId: string, runId: string): Promise<RunRow | null> {
    const [rows] = (await this.db.query(
      `UPDATE automation_runs SET updated_at = now() WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE} RETURNING *`,
      [workspaceId, runId],
    )) as [RunRow[], number];
    return rows[0] ?? null;
  }

  /** The same compare-and-set for the next step of a stretch, without reading the row again. */
  async stillActive(workspaceId: string, runId: string): Promise<boolean> {
    const [, affected] = (await this.db.query(
      `UPDATE automation_runs SET updated_at = now() WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE}`,
      [workspaceId, runId],
    )) as [unknown, number];
    return affected > 0;
  }

  async status(workspaceId: string, runId: string): Promise<{ status: RunStatus; error: string | null } | null> {
    const rows = (await this.db.query('SELECT status, error FROM automation_runs WHERE workspace_id = $1 AND id = $2', [workspaceId, runId])) as Array<{
      status: RunStatus; error: string | null;
    }>;
    return rows[0] ?? null;
  }

  /**
   * Records a finished step and moves the run on, in one transaction: the step record, the
   * cursor, the changed context and refs, and (for the last step) the final status with its
   * journey event. A run canceled meanwhile keeps CANCELED; the step record is written anyway
   * (the step did run). Returns the run's status afterwards.
   */
  async completeStep(workspaceId: string, runId: string, c: StepCompletion): Promise<RunStatus> {
    const r = c.record;
    // One statement for the step record, the run, and the waits that end with it (plus, at the
    // run's end, its journey event when the integration wants one).
    const run = async (tx: Queryable) => {
      const rows = (await tx.query(
        `WITH step AS (${STEP_UPSERT}),
         waits AS (DELETE FROM automation_run_waits WHERE workspace_id = $1 AND run_id = $2 AND (path = $13 OR $15::text IS NOT NULL)),
         run AS (
           UPDATE automation_runs SET cursor = $14, seq = GREATEST(seq, $4 + 1), context = COALESCE($16::jsonb, context), refs = COALESCE($17::jsonb, refs),
             status = COALESCE($15, 'PROCESSING'), error = COALESCE($18, error), wake_at = NULL, updated_at = now(),
             finished_at = CASE WHEN $15::text IS NOT NULL THEN now() ELSE finished_at END
           WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE}
           RETURNING status, recipient, template_id, sequence, source, error)
         SELECT run.*, (SELECT row_to_json(x) FROM (SELECT ${INTEGRATION_STATE} FROM rudderstack_integrations i WHERE i.workspace_id = $1 AND i.enabled) x) AS integration FROM run`,
        [...stepParams(workspaceId, runId, r), c.removeWait ?? null, c.cursor, c.final?.status ?? null, c.context ? JSON.stringify(c.context) : null,
          c.refs ? JSON.stringify(c.refs) : null, c.final?.error ?? null],
      )) as Array<JourneyRow & { integration: { journey: boolean; polling_ms_left: number } | null }>;
      const row = rows[0];
      if (!row) return { status: (await this.statusIn(tx, workspaceId, runId)) ?? ('ERROR' as RunStatus), outbound: false };
      const event = c.final && row.integration?.journey ? runEvent(workspaceId, row.status as RunEventStatus, journeyFields(runId, row), Date.now()) : null;
      const outbound = event ? await this.outbox.append(tx, workspaceId, [event], 'journey', { journey: true, pollingMsLeft: row.integration!.polling_ms_left }) : false;
      return { status: row.status, outbound };
    };
    // Only a run's end can add an outbox row; every other step is one autocommitted statement.
    const { status, outbound } = c.final ? await this.db.transaction(run) : await run(this.db);
    if (outbound) void this.outbox.wake(workspaceId);
    return status;
  }

  /** Counts one failed attempt of a step on its record (created PROCESSING if new); returns the count. */
  async countAttempt(workspaceId: string, runId: string, path: string, action: string, seq: number): Promise<number> {
    const rows = (await this.db.query(
      `INSERT INTO automation_run_steps (workspace_id, run_id, path, seq, action, status, started_at, attempts)
       VALUES ($1, $2, $3, $4, $5, 'PROCESSING', now(), 1)
       ON CONFLICT (workspace_id, run_id, path) DO UPDATE SET attempts = automation_run_steps.attempts + 1 RETURNING attempts`,
      [workspaceId, runId, path, seq, action],
    )) as Array<{ attempts: number }>;
    return rows[0].attempts;
  }

  /** A step's record (the waiting one, on resume). */
  async stepRecord(workspaceId: string, runId: string, path: string): Promise<{ seq: number; status: StepStatus; started_at: Date | null; result: unknown } | null> {
    const rows = (await this.db.query('SELECT seq, status, started_at, result FROM automation_run_steps WHERE workspace_id = $1 AND run_id = $2 AND path = $3', [
      workspaceId, runId, path,
    ])) as Array<{ seq: number; status: StepStatus; started_at: Date | null; result: unknown }>;
    return rows[0] ?? null;
  }

  /** Marks the step and the run WAITING (and registers the wait-for), unless the run ended meanwhile. */
  async enterWait(workspaceId: string, runId: string, record: StepRecord, wakeAt: number | null, wait?: WaitEntry): Promise<boolean> {
    // One statement: the run goes WAITING only if it is still active, and only then are the step and the wait recorded.
    const rows = (await this.db.query(
      `WITH run AS (
         UPDATE automation_runs SET status = 'WAITING', cursor = $3, seq = GREATEST(seq, $4 + 1), wake_at = to_timestamp($13 / 1000.0), updated_at = now()
         WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE} RETURNING workflow_id),
       step AS (${STEP_INSERT_COLUMNS} SELECT ${STEP_VALUES} FROM run ${STEP_ON_CONFLICT}),
       wait AS (
         INSERT INTO automation_run_waits (workspace_id, run_id, path, workflow_id, recipient, event, match, timeout_at)
         SELECT $1, $2, $3, workflow_id, $14::varchar, $15::varchar, $16::jsonb, now() + make_interval(secs => $17::double precision / 1000) FROM run WHERE $15::varchar IS NOT NULL
         ON CONFLICT (workspace_id, run_id, path) DO NOTHING)
       SELECT count(*)::int AS n FROM run`,
      [...stepParams(workspaceId, runId, record), wakeAt, wait?.recipient ?? null, wait?.event ?? null,
        wait?.match === undefined ? null : JSON.stringify(wait.match), wait?.timeoutMs ?? null],
    )) as Array<{ n: number }>;
    return rows[0].n > 0;
  }

  /** The event a wait was matched with, if any (read when the wait resumes). */
  async matchedEvent(workspaceId: string, runId: string, path: string): Promise<{ eventLogId: string; body: JsonObject } | null> {
    const rows = (await this.db.query(
      `SELECT e.id, e.body FROM automation_run_waits w JOIN inbound_events e ON e.id = w.matched_event_id
       WHERE w.workspace_id = $1 AND w.run_id = $2 AND w.path = $3`,
      [workspaceId, runId, path],
    )) as Array<{ id: string; body: JsonObject }>;
    return rows[0] ? { eventLogId: rows[0].id, body: rows[0].body } : null;
  }

  /** Ends a run (final status, journey event, its waits removed) unless it already ended. */
  async finish(workspaceId: string, runId: string, status: RunStatus, error: string | null = null): Promise<RunStatus> {
    const { final, outbound } = await this.db.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE automation_runs SET status = $3, error = COALESCE($4, error), finished_at = now(), updated_at = now()
         WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE} RETURNING status, recipient, template_id, sequence, source, error`,
        [workspaceId, runId, status, error],
      )) as [JourneyRow[], number];
      if (!rows[0]) return { final: (await this.statusIn(tx, workspaceId, runId)) ?? status, outbound: false };
      return { final: rows[0].status, outbound: await this.ended(tx, workspaceId, runId, rows[0]) };
    });
    if (outbound) void this.outbox.wake(workspaceId);
    return final;
  }

  /**
   * Cancels every active run holding the token (but `exceptRunId`) in one statement, with their
   * waiting steps, their waits and their journey events, and records the tombstone at the
   * ledger's current position: runs triggered by events accepted before this cancel start
   * canceled, however long the backlog. Returns what it canceled.
   */
  async cancelByToken(workspaceId: string, token: string, exceptRunId: string | null, reason: string): Promise<CanceledRun[]> {
    const { runs, outbound } = await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO cancel_tombstones (workspace_id, token, canceled_at, ledger_mark)
         VALUES ($1::varchar, $2, now(), (SELECT max(id) FROM inbound_events WHERE workspace_id = $1::varchar))
         ON CONFLICT (workspace_id, token) DO UPDATE SET canceled_at = now(), ledger_mark = GREATEST(cancel_tombstones.ledger_mark, EXCLUDED.ledger_mark)`,
        [workspaceId, token],
      );
      const [runs] = (await tx.query(
        `UPDATE automation_runs SET status = 'CANCELED', error = $4, finished_at = now(), updated_at = now()
         WHERE workspace_id = $1 AND cancelation_token = $2 AND status IN ${ACTIVE} AND ($3::uuid IS NULL OR id <> $3::uuid)
         RETURNING id, workflow_id, started_at, recipient, template_id, sequence, source, error`,
        [workspaceId, token, exceptRunId, reason],
      )) as [Array<CanceledRun & JourneyRow>, number];
      return { runs, outbound: await this.canceled(tx, workspaceId, runs) };
    });
    if (outbound) void this.outbox.wake(workspaceId);
    return runs;
  }

  /** Cancels one run by id, like cancelByToken. Null when it was not active. */
  async cancelById(workspaceId: string, runId: string, reason: string): Promise<CanceledRun | null> {
    const { runs, outbound } = await this.db.transaction(async (tx) => {
      const [runs] = (await tx.query(
        `UPDATE automation_runs SET status = 'CANCELED', error = $3, finished_at = now(), updated_at = now()
         WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE}
         RETURNING id, workflow_id, started_at, recipient, template_id, sequence, source, error`,
        [workspaceId, runId, reason],
      )) as [Array<CanceledRun & JourneyRow>, number];
      return { runs, outbound: await this.canceled(tx, workspaceId, runs) };
    });
    if (outbound) void this.outbox.wake(workspaceId);
    return runs[0] ?? null;
  }

  // ---- for runs started before the lean driver (activities/legacy) ----

  /** A legacy run's progress write: a step record, and/or its status (a final one ends it like finish()). */
  async legacyProgress(workspaceId: string, runId: string, step?: { path: string; seq: number; action: string; status: StepStatus; startedAt: number | null; endedAt: number | null; result?: unknown; error?: string | null; messageId?: string | null }, run?: { status: RunStatus; error?: string | null }): Promise<void> {
    if (step) await this.writeStep(this.db, workspaceId, runId, { ...step, startedAt: step.startedAt ?? Date.now() });
    if (!run) return;
    if (['PROCESSED', 'CANCELED', 'ERROR'].includes(run.status)) {
      await this.finish(workspaceId, runId, run.status, run.error ?? null);
      return;
    }
    await this.db.query(`UPDATE automation_runs SET status = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2 AND status IN ${ACTIVE}`, [
      workspaceId, runId, run.status,
    ]);
  }

  /** A legacy run's wait-for: no timeout and no match (it matches routed events itself), so it is routed the legacy way. */
  async registerLegacyWait(w: { workspaceId: string; runId: string; path: string; workflowId: string; recipient: string; event: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO automation_run_waits (workspace_id, run_id, path, workflow_id, recipient, event) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [w.workspaceId, w.runId, w.path, w.workflowId, w.recipient, w.event],
    );
  }

  async unregisterWait(workspaceId: string, runId: string, path: string): Promise<void> {
    await this.db.query('DELETE FROM automation_run_waits WHERE workspace_id = $1 AND run_id = $2 AND path = $3', [workspaceId, runId, path]);
  }

  /** The tombstones of these tokens: when each was canceled and up to which ledger row. */
  async tombstones(tx: Queryable, workspaceId: string, tokens: string[]): Promise<Map<string, { canceledAt: Date; ledgerMark: string | null }>> {
    if (!tokens.length) return new Map();
    const rows = (await tx.query('SELECT token, canceled_at, ledger_mark FROM cancel_tombstones WHERE workspace_id = $1 AND token = ANY($2)', [
      workspaceId, tokens,
    ])) as Array<{ token: string; canceled_at: Date; ledger_mark: string | null }>;
    return new Map(rows.map((r) => [r.token, { canceledAt: r.canceled_at, ledgerMark: r.ledger_mark }]));
  }

  /** Journey events for runs that just started. */
  async started(tx: Queryable, workspaceId: string, runs: Array<JourneyRow & { id: string }>): Promise<boolean> {
    const now = Date.now();
    const events = runs.flatMap((r) => runEvent(workspaceId, 'STARTED', journeyFields(r.id, r), now) ?? []);
    return this.outbox.append(tx, workspaceId, events, 'journey');
  }

  private async canceled(tx: Queryable, workspaceId: string, runs: Array<CanceledRun & JourneyRow>): Promise<boolean> {
    if (!runs.length) return false;
    const ids = runs.map((r) => r.id);
    await tx.query(
      `UPDATE automation_run_steps SET status = 'CANCELED', ended_at = now(), error = 'canceled'
       WHERE workspace_id = $1 AND run_id = ANY($2::uuid[]) AND status IN ('WAITING', 'PROCESSING')`,
      [workspaceId, ids],
    );
    await tx.query('DELETE FROM automation_run_waits WHERE workspace_id = $1 AND run_id = ANY($2::uuid[])', [workspaceId, ids]);
    const now = Date.now();
    const events = runs.flatMap((r) => runEvent(workspaceId, 'CANCELED', journeyFields(r.id, r), now) ?? []);
    return this.outbox.append(tx, workspaceId, events, 'journey');
  }

  /** What every end of a run does in its transaction: its waits go, its journey event is appended. */
  private async ended(tx: Queryable, workspaceId: string, runId: string, row: JourneyRow): Promise<boolean> {
    await tx.query('DELETE FROM automation_run_waits WHERE workspace_id = $1 AND run_id = $2', [workspaceId, runId]);
    const event = runEvent(workspaceId, row.status as RunEventStatus, journeyFields(runId, row), Date.now());
    return event ? this.outbox.append(tx, workspaceId, [event], 'journey') : false;
  }

  private async writeStep(tx: Queryable, workspaceId: string, runId: string, s: StepRecord): Promise<void> {
    await tx.query(STEP_UPSERT, stepParams(workspaceId, runId, s));
  }

  private async statusIn(tx: Queryable, workspaceId: string, runId: string): Promise<RunStatus | null> {
    const rows = (await tx.query('SELECT status FROM automation_runs WHERE workspace_id = $1 AND id = $2', [workspaceId, runId])) as Array<{ status: RunStatus }>;
    return rows[0]?.status ?? null;
  }
}

/** A step record's upsert ($1..$12, see stepParams): a retried write replaces the status and result, never the first start. */
const STEP_INSERT_COLUMNS = 'INSERT INTO automation_run_steps (workspace_id, run_id, path, seq, action, status, started_at, ended_at, result, error, message_id, attempts)';
const STEP_VALUES = '$1::varchar, $2::uuid, $3::varchar, $4::int, $5::varchar, $6::varchar, to_timestamp($7 / 1000.0), to_timestamp($8 / 1000.0), $9::jsonb, $10::text, $11::varchar, $12::int';
const STEP_ON_CONFLICT = `ON CONFLICT (workspace_id, run_id, path) DO UPDATE SET status = EXCLUDED.status, ended_at = EXCLUDED.ended_at,
         result = EXCLUDED.result, error = EXCLUDED.error, message_id = COALESCE(EXCLUDED.message_id, automation_run_steps.message_id),
         attempts = GREATEST(automation_run_steps.attempts, EXCLUDED.attempts)`;
const STEP_UPSERT = `${STEP_INSERT_COLUMNS} VALUES (${STEP_VALUES}) ${STEP_ON_CONFLICT}`;

function stepParams(workspaceId: string, runId: string, s: StepRecord): unknown[] {
  return [workspaceId, runId, s.path, s.seq, s.action, s.status, s.startedAt, s.endedAt, s.result === undefined ? null : JSON.stringify(s.result),
    s.error ?? null, s.messageId ?? null, s.attempts ?? 0];
}

interface JourneyRow {
  status: RunStatus;
  recipient: string | null;
  template_id: string | null;
  sequence: string | null;
  source: string;
  error: string | null;
}

function journeyFields(runId: string, r: Omit<JourneyRow, 'status'>) {
  return { run_id: runId, recipient: r.recipient, template_id: r.template_id, sequence: r.sequence, source: r.source, error: r.error };
}

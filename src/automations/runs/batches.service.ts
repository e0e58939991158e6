import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { JsonObject } from '../../../workflows/shared/json';
import { runWakeSignal } from '../../../workflows/automation-run/messages';
import { mapWithConcurrency } from '../../common/concurrency';
import { TemporalClientService } from '../../temporal/temporal-client.service';

export interface BatchMember {
  runId: string;
  workflowId: string;
}

/** A run's part in its batch, as decided in Postgres. */
export type BatchPlace =
  | { role: 'leader'; batchId: string; count: number; items: JsonObject[] }
  | { role: 'member'; batchId: string; leaderRunId: string | null };

export interface FlushResult {
  batchId: string;
  members: BatchMember[];
  /** Items of the key still waiting for a batch (joined during the flush, or past max_items). */
  remaining: number;
}

/**
 * add-to-batch's state. A run joins by inserting its item (once: a retried join finds it);
 * a flush assigns the oldest open items of a key to a new batch in one transaction, the first
 * still-active run as leader. The batch window workflow only times flushes and wakes runs; the
 * decision itself lives here, so a retried join after a flush, a lost signal or a lost collector
 * changes nothing: a run that is not woken flushes its own key at its timeout.
 */
@Injectable()
export class BatchesService {
  private readonly logger = new Logger('Batches');

  constructor(@InjectDataSource() private readonly db: DataSource, private readonly temporal: TemporalClientService) {}

  /** Idempotent. Returns the run's place when a batch already holds it (a join retried after the flush). */
  async join(workspaceId: string, runId: string, path: string, key: string, data: JsonObject): Promise<BatchPlace | null> {
    await this.db.query(
      `INSERT INTO automation_batch_items (workspace_id, run_id, path, batch_key, data) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, run_id, path) DO NOTHING`,
      [workspaceId, runId, path, key, JSON.stringify(data)],
    );
    return this.placeOf(workspaceId, runId, path);
  }

  /** Assigns up to maxItems of the key's oldest open items to a new batch; null when none is open. */
  async flush(workspaceId: string, key: string, maxItems: number | null): Promise<FlushResult | null> {
    return this.db.transaction(async (tx) => {
      // SKIP LOCKED: a collector and a run flushing at its timeout take disjoint items.
      const items = (await tx.query(
        `SELECT i.run_id, i.path, r.workflow_id, r.status IN ('PROCESSING', 'WAITING') AS active
         FROM automation_batch_items i JOIN automation_runs r ON r.workspace_id = i.workspace_id AND r.id = i.run_id
         WHERE i.workspace_id = $1 AND i.batch_key = $2 AND i.batch_id IS NULL
         ORDER BY i.joined_at, i.run_id LIMIT $3 FOR UPDATE OF i SKIP LOCKED`,
        [workspaceId, key, maxItems ?? 10_000],
      )) as Array<{ run_id: string; path: string; workflow_id: string; active: boolean }>;
      if (!items.length) return null;
      const batchId = randomUUID();
      // A canceled run cannot lead: the batch goes to the first run still there to carry it.
      const leader = items.find((i) => i.active)?.run_id ?? null;
      // Runs canceled while they waited are closed with the batch but not part of it.
      await tx.query(
        `UPDATE automation_batch_items i SET batch_id = $3, leader_run_id = $4,
           role = CASE WHEN NOT t.active THEN 'canceled' WHEN i.run_id = $4::uuid THEN 'leader' ELSE 'member' END
         FROM jsonb_to_recordset($2::jsonb) AS t(run_id uuid, path varchar, active boolean)
         WHERE i.workspace_id = $1 AND i.run_id = t.run_id AND i.path = t.path`,
        [workspaceId, JSON.stringify(items), batchId, leader],
      );
      const [{ n }] = (await tx.query(
        'SELECT count(*)::int AS n FROM automation_batch_items WHERE workspace_id = $1 AND batch_key = $2 AND batch_id IS NULL',
        [workspaceId, key],
      )) as Array<{ n: number }>;
      return { batchId, members: items.filter((i) => i.active).map((i) => ({ runId: i.run_id, workflowId: i.workflow_id })), remaining: n };
    });
  }

  /**
   * The run's place; at its timeout (no wake came: a lost collector or signal) it flushes its
   * key itself until a batch holds it. Null for runs that joined before batches were kept here.
   */
  async placeOrFlush(workspaceId: string, runId: string, path: string, key: string, maxItems: number | null): Promise<BatchPlace | null | 'busy'> {
    for (;;) {
      const place = await this.placeOf(workspaceId, runId, path);
      if (place || !(await this.hasItem(workspaceId, runId, path))) return place;
      const flushed = await this.flush(workspaceId, key, maxItems);
      // Another flush holds the item right now: the caller asks again (a retry) once it committed.
      if (!flushed) return 'busy';
      await this.wake(key, flushed.members.filter((m) => m.runId !== runId));
    }
  }

  /** Wakes runs of a flushed batch (best effort: one not woken reads its place at its timeout). */
  async wake(key: string, members: BatchMember[]): Promise<void> {
    await mapWithConcurrency(members, 16, async (m) => {
      try {
        await this.temporal.withDeadline(() => this.temporal.client.workflow.getHandle(m.workflowId).signal(runWakeSignal, { key: `batch:${key}` }));
      } catch (err) {
        this.logger.debug(`batch wake for run ${m.runId} not delivered: ${(err as Error).message}`);
      }
    });
  }

  private async placeOf(workspaceId: string, runId: string, path: string): Promise<BatchPlace | null> {
    const [row] = (await this.db.query(
      'SELECT batch_id, role, leader_run_id FROM automation_batch_items WHERE workspace_id = $1 AND run_id = $2 AND path = $3 AND batch_id IS NOT NULL',
      [workspaceId, runId, path],
    )) as Array<{ batch_id: string; role: 'leader' | 'member' | 'canceled'; leader_run_id: string | null }>;
    if (!row) return null;
    if (row.role !== 'leader') return { role: 'member', batchId: row.batch_id, leaderRunId: row.leader_run_id };
    const items = (await this.db.query(
      "SELECT data FROM automation_batch_items WHERE workspace_id = $1 AND batch_id = $2 AND role <> 'canceled' ORDER BY joined_at, run_id",
      [workspaceId, row.batch_id],
    )) as Array<{ data: JsonObject }>;
    return { role: 'leader', batchId: row.batch_id, count: items.length, items: items.map((i) => i.data) };
  }

  private async hasItem(workspaceId: string, runId: string, path: string): Promise<boolean> {
    const rows = (await this.db.query('SELECT 1 FROM automation_batch_items WHERE workspace_id = $1 AND run_id = $2 AND path = $3', [workspaceId, runId, path])) as unknown[];
    return rows.length > 0;
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { FINAL_RUN_STATUSES, RunStatus } from '../../../workflows/shared/run-types';
import { mapWithConcurrency } from '../../common/concurrency';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import { RunsService } from './runs.service';

export interface CanceledRun {
  run_id: string;
  status: RunStatus;
}

/** How long a cancel waits for the runs to reach their final state: longer for more runs, within bounds. */
const finalStateWaitMs = (runs: number) => Math.min(15_000 + runs * 5, 120_000);
const CANCEL_CONCURRENCY = 32;

/**
 * Cancels runs by token or id. A token cancel first writes a tombstone, then cancels the
 * running runs holding it; a run whose workflow starts after that finds the tombstone at start
 * and ends CANCELED, so the cancel-before-trigger race has one outcome either way.
 */
@Injectable()
export class CancelService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly runs: RunsService,
    private readonly temporal: TemporalClientService,
  ) {}

  async cancelByToken(workspaceId: string, token: string, exceptRunId?: string): Promise<CanceledRun[]> {
    await this.db.query(
      `INSERT INTO cancel_tombstones (workspace_id, token, canceled_at) VALUES ($1, $2, now())
       ON CONFLICT (workspace_id, token) DO UPDATE SET canceled_at = now()`,
      [workspaceId, token],
    );
    const targets = await this.runs.activeRunsWithToken(workspaceId, token, exceptRunId);
    // Thousands of runs may share a token: cancel with bounded concurrency, then wait on one query.
    await mapWithConcurrency(targets, CANCEL_CONCURRENCY, (t) => this.requestCancel(t.workflow_id));
    return this.awaitFinal(workspaceId, targets.map((t) => t.id));
  }

  async cancelByRunId(workspaceId: string, runId: string): Promise<CanceledRun[]> {
    const run = await this.runs.row(workspaceId, runId);
    if (!this.runs.isActive(run.status)) return [{ run_id: run.id, status: run.status }];
    await this.requestCancel(run.workflow_id);
    return this.awaitFinal(workspaceId, [run.id]);
  }

  private async requestCancel(workflowId: string): Promise<void> {
    try {
      await this.temporal.client.workflow.getHandle(workflowId).cancel();
    } catch (err) {
      // Not started yet (it will meet the tombstone) or already closed: its row tells the outcome.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** Each run's status once all are final (or the wait runs out), from one query per poll. */
  private async awaitFinal(workspaceId: string, runIds: string[]): Promise<CanceledRun[]> {
    if (!runIds.length) return [];
    const deadline = Date.now() + finalStateWaitMs(runIds.length);
    for (;;) {
      const rows = (await this.db.query('SELECT id, status FROM automation_runs WHERE workspace_id = $1 AND id = ANY($2::uuid[])', [
        workspaceId, runIds,
      ])) as Array<{ id: string; status: RunStatus }>;
      if (rows.every((r) => FINAL_RUN_STATUSES.includes(r.status)) || Date.now() > deadline) {
        const byId = new Map(rows.map((r) => [r.id, r.status]));
        return runIds.map((id) => ({ run_id: id, status: byId.get(id)! }));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

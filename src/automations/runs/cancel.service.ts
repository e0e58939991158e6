import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { FINAL_RUN_STATUSES, RunStatus } from '../../../workflows/shared/run-types';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import { RunsService } from './runs.service';

export interface CanceledRun {
  run_id: string;
  status: RunStatus;
}

/** How long a cancel waits for each run to reach its final state before answering. */
const FINAL_STATE_WAIT_MS = 15_000;

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
    return Promise.all(targets.map((t) => this.cancelOne(workspaceId, t.id, t.workflow_id)));
  }

  async cancelByRunId(workspaceId: string, runId: string): Promise<CanceledRun[]> {
    const run = await this.runs.row(workspaceId, runId);
    if (!this.runs.isActive(run.status)) return [{ run_id: run.id, status: run.status }];
    return [await this.cancelOne(workspaceId, run.id, run.workflow_id)];
  }

  private async cancelOne(workspaceId: string, runId: string, workflowId: string): Promise<CanceledRun> {
    try {
      await this.temporal.client.workflow.getHandle(workflowId).cancel();
    } catch (err) {
      // Not started yet (it will meet the tombstone) or already closed: its row tells the outcome.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const deadline = Date.now() + FINAL_STATE_WAIT_MS;
    let status = await this.runs.status(workspaceId, runId);
    while (!FINAL_RUN_STATUSES.includes(status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await this.runs.status(workspaceId, runId);
    }
    return { run_id: runId, status };
  }
}

import { Injectable } from '@nestjs/common';
import { notFound } from '../../common/errors/api-error';
import type { RunStatus } from '../../../workflows/shared/run-types';
import { WorkflowTerminator } from '../../temporal/workflow-terminator.service';
import { RunsRepository } from './runs.repository';

export interface CanceledRun {
  run_id: string;
  status: RunStatus;
}

/**
 * Cancels runs by token or id. Postgres decides: one statement marks every active run holding
 * the token CANCELED (serialised with steps starting, which compare-and-set the same rows) and
 * records a tombstone at the ledger's position, so runs whose triggering events are still in
 * the backlog start canceled. The answer has the final states at once; the Temporal workflows
 * are closed afterwards, in the background, at a bounded rate.
 */
@Injectable()
export class CancelService {
  constructor(private readonly repo: RunsRepository, private readonly terminator: WorkflowTerminator) {}

  async cancelByToken(workspaceId: string, token: string, exceptRunId?: string): Promise<CanceledRun[]> {
    const reason = `canceled by token ${JSON.stringify(token)}`;
    const runs = await this.repo.cancelByToken(workspaceId, token, exceptRunId ?? null, reason);
    this.terminator.terminate(runs.filter((r) => r.started_at).map((r) => r.workflow_id), reason);
    return runs.map((r) => ({ run_id: r.id, status: 'CANCELED' }));
  }

  async cancelByRunId(workspaceId: string, runId: string): Promise<CanceledRun[]> {
    if (!/^[0-9a-f-]{36}$/i.test(runId)) throw notFound(`run ${JSON.stringify(runId)} not found`);
    const canceled = await this.repo.cancelById(workspaceId, runId, 'canceled');
    if (canceled) {
      if (canceled.started_at) this.terminator.terminate([canceled.workflow_id], 'canceled');
      return [{ run_id: runId, status: 'CANCELED' }];
    }
    const row = await this.repo.status(workspaceId, runId);
    if (!row) throw notFound(`run ${JSON.stringify(runId)} not found`);
    return [{ run_id: runId, status: row.status }];
  }
}

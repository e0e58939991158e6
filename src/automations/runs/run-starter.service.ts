import { Inject, Injectable, Logger } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { PreparedRun } from '../../../workflows/shared/run-types';
import { toTypedSearchAttributes } from '../../../workflows/shared/search-attributes';
import { mapWithConcurrency } from '../../common/concurrency';
import { ApiError, ServiceUnavailableError } from '../../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { TemporalClientService } from '../../temporal/temporal-client.service';
import { TemporalRejectedError } from '../../temporal/temporal-errors';
import { RunsRepository } from './runs.repository';

const START_CONCURRENCY = 16;

/**
 * Starts the workflows of recorded runs, after the transaction that recorded them committed.
 * Workflow ids are the runs' ids, so a repeated start is "already started" (success) and a
 * retried batch starts nothing twice. Started runs are marked in one statement; a run whose
 * start failed stays unmarked, and the maintenance sweep starts it (or settles it).
 */
@Injectable()
export class RunStarter {
  private readonly logger = new Logger('RunStarter');

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly temporal: TemporalClientService,
    private readonly repo: RunsRepository,
  ) {}

  /** Starts them all; throws ServiceUnavailableError when any start failed (the others are started and marked). */
  async start(runs: PreparedRun[]): Promise<void> {
    if (!runs.length) return;
    const started: string[] = [];
    let failure: Error | undefined;
    const rejected: Array<{ run: PreparedRun; message: string }> = [];
    await mapWithConcurrency(runs, START_CONCURRENCY, async (run) => {
      try {
        await this.temporal.startIdempotent(run.workflowType, {
          taskQueue: this.temporal.taskQueue,
          workflowId: run.workflowId,
          args: [run.input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: toTypedSearchAttributes(run.searchAttributes),
        }, this.config.worker.eagerStart);
        started.push(run.runId);
      } catch (err) {
        failure ??= err as Error;
        // Refused for good: the run ends ERROR with the cause now, rather than being retried by every sweep.
        if (err instanceof TemporalRejectedError) rejected.push({ run, message: err.message });
      }
    });
    await this.repo.markStarted(started);
    for (const { run, message } of rejected) await this.repo.finish(run.input.workspaceId, run.runId, 'ERROR', `not started: ${message}`);
    if (failure) {
      this.logger.warn(`${runs.length - started.length} of ${runs.length} run starts failed (${rejected.length} for good, the sweep retries the others): ${failure.message}`);
      throw failure instanceof ApiError ? failure : new ServiceUnavailableError('Temporal', 5, failure.message);
    }
  }
}

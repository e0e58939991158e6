import { Inject, Injectable, Logger } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { PreparedRun } from '../../../workflows/shared/run-types';
import { toTypedSearchAttributes } from '../../../workflows/shared/search-attributes';
import { mapWithConcurrency } from '../../common/concurrency';
import { ServiceUnavailableError } from '../../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { TemporalClientService } from '../../temporal/temporal-client.service';
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
      }
    });
    await this.repo.markStarted(started);
    if (failure) {
      this.logger.warn(`${runs.length - started.length} of ${runs.length} run starts failed (the sweep retries): ${failure.message}`);
      throw failure instanceof ServiceUnavailableError ? failure : new ServiceUnavailableError('Temporal', 5, failure.message);
    }
  }
}

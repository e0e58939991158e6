import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TemporalClientService } from './temporal-client.service';

/** Terminations in flight at once: a cancel of 10,000 runs must not flood the Temporal server. */
const CONCURRENCY = 32;

/**
 * Closes workflows whose rows (runs, messages) were already marked CANCELED, in the background
 * and at a bounded rate. The row is the truth; this only frees Temporal of timers and waits
 * nobody needs. Terminate (not cancel) costs the server one history event and no workflow task.
 * If a termination is lost (Temporal down, process gone), the workflow finds its row canceled
 * the next time it wakes and ends without doing anything.
 */
@Injectable()
export class WorkflowTerminator implements OnApplicationShutdown {
  private readonly logger = new Logger('WorkflowTerminator');
  private readonly queue: Array<{ workflowId: string; reason: string }> = [];
  private active = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly temporal: TemporalClientService) {}

  terminate(workflowIds: string[], reason: string): void {
    for (const workflowId of workflowIds) this.queue.push({ workflowId, reason });
    while (this.active < CONCURRENCY && this.queue.length) void this.work();
  }

  /** Resolves when every queued termination has been tried (tests, shutdown). */
  drained(): Promise<void> {
    if (!this.active && !this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async work(): Promise<void> {
    this.active++;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        try {
          await this.temporal.withDeadline(() => this.temporal.client.workflow.getHandle(item!.workflowId).terminate(item!.reason));
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) this.logger.debug(`terminate ${item.workflowId}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.active--;
      if (!this.active && !this.queue.length) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.queue.length = 0;
    await this.drained();
  }
}

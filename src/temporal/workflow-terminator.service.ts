import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TemporalClientService, withTimeout } from './temporal-client.service';

/** Terminations in flight at once: a cancel of 10,000 runs must not flood the Temporal server. */
const CONCURRENCY = 32;
/** A termination is given up after this long, even if the client never settles (an unreachable server). */
const CALL_LIMIT_MS = 7_000;

/**
 * Closes workflows whose rows (runs, messages) were already marked CANCELED, in the background
 * and at a bounded rate. The row is the truth; this only frees Temporal of timers and waits
 * nobody needs. Terminate (not cancel) costs the server one history event and no workflow task.
 * If a termination is lost (Temporal down, process gone), the workflow finds its row canceled
 * the next time it wakes and ends without doing anything.
 */
@Injectable()
export class WorkflowTerminator implements BeforeApplicationShutdown {
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
          await withTimeout(this.temporal.withDeadline(() => this.temporal.client.workflow.getHandle(item!.workflowId).terminate(item!.reason)), CALL_LIMIT_MS);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) this.logger.debug(`terminate ${item.workflowId}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.active--;
      if (!this.active && !this.queue.length) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Before the Temporal connection closes (onApplicationShutdown): a call still retrying then would throw where nobody catches it. */
  async beforeApplicationShutdown(): Promise<void> {
    this.queue.length = 0;
    await withTimeout(this.drained(), CALL_LIMIT_MS + 1_000).catch(() => undefined);
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { TemporalClientService } from './temporal-client.service';

export interface WakeRequest {
  workflowType: string;
  workflowId: string;
  /** Start arguments, used only when the workflow is not running. */
  args: unknown[];
  signal: string;
  typedSearchAttributes?: SearchAttributePair[];
}

/** Wakes that arrive within this long of the last one are folded into one more signal. */
const MIN_SPACING_MS = 20;

/**
 * Wakes long-lived workflows (dispatchers, emitters) with signal-with-start, coalesced per
 * workflow id: while one wake is in flight, any number of further requests become exactly one
 * more wake sent after it. The workflow drains everything it finds on each wake, so a burst of
 * a thousand commits costs a handful of signals, and a commit is never left without a wake
 * sent after it. A failed wake is logged, not thrown: the work is durable in Postgres and the
 * maintenance sweep wakes the workflow later.
 */
@Injectable()
export class WorkflowWaker {
  private readonly logger = new Logger('WorkflowWaker');
  private readonly inFlight = new Map<string, { again: WakeRequest | null; done: Promise<void> }>();
  private lastFailureLog = 0;

  constructor(private readonly temporal: TemporalClientService) {}

  /** Requests a wake; returns a promise that settles once a wake sent after this call has been tried. */
  wake(request: WakeRequest): Promise<void> {
    const slot = this.inFlight.get(request.workflowId);
    if (slot) {
      slot.again = request; // picked up by the in-flight drain loop before its promise settles
      return slot.done;
    }
    const entry: { again: WakeRequest | null; done: Promise<void> } = { again: null, done: Promise.resolve() };
    entry.done = this.drain(request, entry);
    this.inFlight.set(request.workflowId, entry);
    return entry.done;
  }

  private async drain(first: WakeRequest, entry: { again: WakeRequest | null }): Promise<void> {
    let next: WakeRequest | null = first;
    try {
      while (next) {
        const request: WakeRequest = next;
        entry.again = null;
        await this.send(request);
        next = entry.again;
        if (next) await new Promise((r) => setTimeout(r, MIN_SPACING_MS));
      }
    } finally {
      this.inFlight.delete(first.workflowId);
    }
  }

  private async send(request: WakeRequest): Promise<void> {
    try {
      await this.temporal.withDeadline(() =>
        this.temporal.client.workflow.signalWithStart(request.workflowType, {
          workflowId: request.workflowId,
          taskQueue: this.temporal.taskQueue,
          args: request.args,
          signal: request.signal,
          signalArgs: [],
          // A dispatcher or emitter that ended while idle starts again under the same id.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: request.typedSearchAttributes,
        }),
      );
    } catch (err) {
      if (Date.now() - this.lastFailureLog > 10_000) {
        this.lastFailureLog = Date.now();
        this.logger.warn(`could not wake ${request.workflowId} (the maintenance sweep will): ${(err as Error).message}`);
      }
    }
  }
}

import { Injectable } from '@nestjs/common';

/** A run started or reached a final status (for journey events). */
export interface RunStatusChange {
  workspaceId: string;
  runId: string;
  /** STARTED, or the final run status. */
  status: 'STARTED' | 'PROCESSED' | 'CANCELED' | 'ERROR';
  at: number;
  run: { run_id: string; recipient: string | null; template_id: string | null; sequence: string | null; source: string; error?: string | null };
}

export interface RunStatusSubscriber {
  onRunStatus(change: RunStatusChange): Promise<void>;
}

/** Run lifecycle changes, for subscribers such as the RudderStack emitter's journey events. */
@Injectable()
export class RunEventsPublisher {
  private readonly subscribers: RunStatusSubscriber[] = [];

  subscribe(subscriber: RunStatusSubscriber): void {
    this.subscribers.push(subscriber);
  }

  async publish(change: RunStatusChange): Promise<void> {
    for (const subscriber of this.subscribers) await subscriber.onRunStatus(change);
  }
}

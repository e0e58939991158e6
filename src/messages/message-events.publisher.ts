import { Injectable, Logger } from '@nestjs/common';
import type { MessageStatus } from './delivery.types';
import type { MessageView } from './messages.service';

/** One status change of one message, as every subscriber sees it. */
export interface MessageStatusChange {
  workspaceId: string;
  messageId: string;
  status: MessageStatus;
  /** Epoch ms of the change. */
  at: number;
  message: MessageView;
}

export interface MessageStatusSubscriber {
  onMessageStatus(change: MessageStatusChange): Promise<void>;
}

/**
 * The one interface every message status change goes through. Subscribers (the RudderStack
 * outbound emitter) register here. A change may be published more than once (a retried
 * activity republishes), so subscribers deduplicate by (message, status).
 */
@Injectable()
export class MessageEventsPublisher {
  private readonly logger = new Logger('MessageEvents');
  private readonly subscribers: MessageStatusSubscriber[] = [];

  subscribe(subscriber: MessageStatusSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Awaits every subscriber; a failure propagates so the caller (an activity) retries. */
  async publish(change: MessageStatusChange): Promise<void> {
    for (const subscriber of this.subscribers) await subscriber.onMessageStatus(change);
    this.logger.debug(`message ${change.messageId} ${change.status}`);
  }
}

import type { JsonObject } from '../../workflows/shared/json';
import { derivedUuid } from '../common/ids';
import type { MessageStatus } from '../messages/delivery.types';
import type { MessageStatusChange } from '../messages/message-events.publisher';

/** A RudderStack track call as the emitter sends it. */
export interface OutboundEvent {
  messageId: string;
  userId: string;
  event: string;
  properties: JsonObject;
  /** ISO time of the status change. */
  timestamp: string;
}

/** The statuses that become RudderStack events, and their names. */
export const MESSAGE_EVENT_NAMES: Partial<Record<MessageStatus, string>> = {
  SENT: 'Message Sent',
  DELIVERED: 'Message Delivered',
  OPENED: 'Message Opened',
  CLICKED: 'Message Clicked',
  UNDELIVERABLE: 'Message Undeliverable',
  UNROUTABLE: 'Message Unroutable',
};

/** Stable per (message, status): RudderStack (and Herald's outbox) drop repeats by it. */
export function outboundMessageId(workspaceId: string, kind: string, id: string, status: string): string {
  return derivedUuid(workspaceId, 'outbound', kind, id, status);
}

export function messageEvent(change: MessageStatusChange): OutboundEvent | null {
  const event = MESSAGE_EVENT_NAMES[change.status];
  if (!event || !change.message.recipient) return null;
  return {
    messageId: outboundMessageId(change.workspaceId, 'message', change.messageId, change.status),
    userId: change.message.recipient,
    event,
    properties: { ...change.message, status: change.status } as unknown as JsonObject,
    timestamp: new Date(change.at).toISOString(),
  };
}

export const RUN_EVENT_NAMES: Record<string, string> = {
  STARTED: 'Automation Run Started',
  PROCESSED: 'Automation Run Completed',
  CANCELED: 'Automation Run Canceled',
  ERROR: 'Automation Run Failed',
};

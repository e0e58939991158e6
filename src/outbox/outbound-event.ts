import type { JsonObject } from '../../workflows/shared/json';
import { derivedUuid } from '../common/ids';
import type { MessageStatus } from '../messages/delivery.types';
import type { MessageView } from '../messages/delivery.types';

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
  FILTERED: 'Message Filtered',
};

/** Stable per (message, status): RudderStack (and Herald's outbox) drop repeats by it. */
export function outboundMessageId(workspaceId: string, kind: string, id: string, status: string): string {
  return derivedUuid(workspaceId, 'outbound', kind, id, status);
}

/** The RudderStack event of a message status change, or null for statuses that are not sent. */
export function messageEvent(workspaceId: string, status: MessageStatus, message: MessageView, at: number): OutboundEvent | null {
  const event = MESSAGE_EVENT_NAMES[status];
  if (!event || !message.recipient) return null;
  return {
    messageId: outboundMessageId(workspaceId, 'message', message.id, status),
    userId: message.recipient,
    event,
    properties: { ...message, status } as unknown as JsonObject,
    timestamp: new Date(at).toISOString(),
  };
}

/** What a `Preference Updated` event says (one recorded preference change). */
export interface PreferenceChangeFields {
  change_id: string;
  user_id: string;
  topic_id: string;
  status: string;
  previous_status: string | null;
  has_custom_routing: boolean;
  custom_routing: string[];
  source: string;
}

/** The opt-in `Preference Updated` track of a preference change (SPEC section 7). */
export function preferenceEvent(workspaceId: string, change: PreferenceChangeFields, at: number): OutboundEvent {
  const { change_id, user_id, ...properties } = change;
  return {
    messageId: outboundMessageId(workspaceId, 'preference', change_id, change.status),
    userId: user_id,
    event: 'Preference Updated',
    properties: properties as unknown as JsonObject,
    timestamp: new Date(at).toISOString(),
  };
}

export type RunEventStatus = 'STARTED' | 'PROCESSED' | 'CANCELED' | 'ERROR';

export const RUN_EVENT_NAMES: Record<RunEventStatus, string> = {
  STARTED: 'Automation Run Started',
  PROCESSED: 'Automation Run Completed',
  CANCELED: 'Automation Run Canceled',
  ERROR: 'Automation Run Failed',
};

/** What a journey event says about a run. */
export interface RunEventFields {
  run_id: string;
  recipient: string | null;
  template_id: string | null;
  sequence: string | null;
  source: string;
  error?: string | null;
}

/** The journey event (opt-in) of a run's start or end, or null for a run without a recipient. */
export function runEvent(workspaceId: string, status: RunEventStatus, run: RunEventFields, at: number): OutboundEvent | null {
  if (!run.recipient) return null;
  return {
    messageId: outboundMessageId(workspaceId, 'run', run.run_id, status),
    userId: run.recipient,
    event: RUN_EVENT_NAMES[status],
    properties: { ...run, status },
    timestamp: new Date(at).toISOString(),
  };
}

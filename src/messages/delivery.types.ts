import type { JsonObject } from '../common/json/json-merge';

/** Message statuses (SPEC section 4). */
export type MessageStatus =
  | 'ENQUEUED' | 'SENT' | 'DELIVERED' | 'OPENED' | 'CLICKED'
  | 'UNDELIVERABLE' | 'UNROUTABLE' | 'UNMAPPED' | 'CANCELED';

/** What a `send` step (or POST /send) asks delivery to do. The message id is the idempotency key. */
export interface DeliveryRequest {
  workspaceId: string;
  /** Derived from the run and step (or the request): a retried delivery never sends twice. */
  messageId: string;
  runId: string | null;
  recipient: string | null;
  /** Notification template id; null when `message` carries the content. */
  template: string | null;
  message: JsonObject | null;
  brand: string | null;
  channels: string[] | null;
  data: JsonObject;
  profile: JsonObject;
}

export interface DeliveryResult {
  messageId: string;
  status: MessageStatus;
}

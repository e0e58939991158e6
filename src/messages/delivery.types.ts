import type { JsonObject } from '../common/json/json-merge';

/** Message statuses (SPEC section 4). */
export type MessageStatus =
  | 'ENQUEUED' | 'SENT' | 'DELIVERED' | 'OPENED' | 'CLICKED'
  | 'UNDELIVERABLE' | 'UNROUTABLE' | 'UNMAPPED' | 'CANCELED' | 'FILTERED';

export const FINAL_MESSAGE_STATUSES: readonly MessageStatus[] = ['UNDELIVERABLE', 'UNROUTABLE', 'UNMAPPED', 'CANCELED', 'FILTERED'];

/** What a `send` step or POST /send asks delivery to do. The message id is the idempotency key. */
export interface DeliveryRequest {
  workspaceId: string;
  /** Derived from the run and step (or the request): a retried delivery never sends twice. */
  messageId: string;
  runId: string | null;
  /** The user id (or, for an email-only recipient, the email address). */
  recipient: string | null;
  /** Notification template id; null when `message` or `content` carries the content. */
  template: string | null;
  /** A /send message object (the send step's `message` field). */
  message: JsonObject | null;
  brand: string | null;
  /** Restricts (and orders) the channels to try. */
  channels: string[] | null;
  data: JsonObject;
  profile: JsonObject;
  /** `profile` already is the recipient's stored profile (a run's send to its own recipient): no need to read it again. */
  profileLoaded?: boolean;
  requestId?: string | null;
  /** Addresses given with the request (`to.email`, `to.webhook_url`). */
  to?: JsonObject | null;
  routing?: { method?: 'single' | 'all'; channels?: string[] } | null;
  /** Inline content instead of a template. */
  content?: { title?: string; body?: string } | null;
  tenantId?: string | null;
  /** Subscription topic (overrides the template's): the recipient's preferences for it decide. */
  topic?: string | null;
}

export interface DeliveryResult {
  messageId: string;
  status: MessageStatus;
  /** Quiet hours hold the message until this instant (ISO): send again then, with quiet hours released. */
  heldUntil?: string;
}

/** How a delivery call treats quiet hours: applied on a message's first try, released after its hold. */
export interface DeliveryOptions {
  quietHours?: boolean;
}

/** What prepareMessage decided: a final status already, or the channels to try and how. */
export interface DeliveryPlan {
  messageId: string;
  final?: MessageStatus;
  channels: string[];
  method: 'single' | 'all';
  /** Epoch ms quiet hours hold the message until (nothing was rendered or sent). */
  holdUntil?: number;
}

/** The message object of the API and of outbound events: times are epoch ms. */
export interface MessageView {
  id: string;
  status: MessageStatus;
  recipient: string | null;
  notification: string | null;
  event: string | null;
  run_id: string | null;
  request_id: string | null;
  channels: string[];
  providers: JsonObject;
  to: JsonObject;
  error: string | null;
  reason: string | null;
  enqueued: number;
  sent: number | null;
  delivered: number | null;
  opened: number | null;
  clicked: number | null;
  canceled: number | null;
  /** When a delay or quiet hours hold the message until (ISO), or null. */
  scheduled_for: string | null;
}

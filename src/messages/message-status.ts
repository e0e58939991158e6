import type { MessageStatus } from './delivery.types';

/**
 * How far along a message is. The message's status only moves forward (a late OPENED after
 * CLICKED is kept in the history but does not lower the status); terminal failures happen
 * only before anything was sent.
 */
export const STATUS_RANK: Record<MessageStatus, number> = {
  ENQUEUED: 0,
  SENT: 1,
  DELIVERED: 2,
  OPENED: 3,
  CLICKED: 4,
  UNDELIVERABLE: 5,
  UNROUTABLE: 5,
  UNMAPPED: 5,
  CANCELED: 5,
  FILTERED: 5,
};

/** The column that keeps when a status was first reached. */
export const STATUS_TIMESTAMP: Partial<Record<MessageStatus, string>> = {
  SENT: 'sent_at',
  DELIVERED: 'delivered_at',
  OPENED: 'opened_at',
  CLICKED: 'clicked_at',
  CANCELED: 'canceled_at',
};

export const MESSAGE_STATUSES = Object.keys(STATUS_RANK) as MessageStatus[];

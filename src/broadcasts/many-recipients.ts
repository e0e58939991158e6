import type { DeliveryRequest } from '../messages/delivery.types';
import type { RecipientSource } from './recipient-source';

/**
 * How POST /send reaches the broadcast engine for a list, pattern or audience without the
 * messages module importing the broadcasts module (which builds on it): a provider token.
 */
export const MANY_RECIPIENTS = Symbol('ManyRecipients');

export interface ManyRecipientsSender {
  sendToMany(workspaceId: string, requestId: string, source: RecipientSource, request: Partial<DeliveryRequest>, sendAt: Date | null): Promise<void>;
}

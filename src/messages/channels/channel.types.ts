import type { JsonObject } from '../../../workflows/shared/json';

/** What a channel transport needs for one message; content is already rendered for this channel. */
export interface ChannelSend {
  workspaceId: string;
  messageId: string;
  recipient: string | null;
  content: JsonObject;
  /** Where to: email address, webhook URL. */
  address: string | null;
  /**
   * Called by a transport right before the point of no return (for SMTP: before the last byte
   * of DATA). A process that dies before it left nothing accepted; after it, the outcome is unknown.
   */
  commit?: () => Promise<void>;
}

export interface ChannelReceipt {
  provider: string;
  /** What the provider answered (SMTP response, HTTP status). */
  response: string;
  /** True when the channel itself confirms delivery (inbox stored, webhook 2xx). */
  delivered: boolean;
  /** A configured provider's acceptance: what an early delivery receipt for it is matched by. */
  acceptedBy?: ProviderAcceptance;
}

/** Which provider accepted a message, under which of its ids. */
export interface ProviderAcceptance {
  providerId: string;
  provider: string;
  providerMessageId: string | null;
}

/** A failure of a channel transport; `retryable` says whether another attempt may succeed. */
export class ChannelError extends Error {
  /** `bounced`: the address itself was refused for good (an SMTP 5xx), so it goes on the suppression list. */
  constructor(message: string, public readonly retryable: boolean, public readonly bounced = false) {
    super(message);
    this.name = 'ChannelError';
  }
}

export interface ChannelTransport {
  send(message: ChannelSend): Promise<ChannelReceipt>;
}

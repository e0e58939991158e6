import type { z } from 'zod';
import type { JsonObject } from '../../workflows/shared/json';
import { DestinationRefusedError, HostNotAllowedError, InvalidUrlError, type SafeFetchOptions, type SafeFetchResponse } from '../common/net/safe-fetch';

/** Channels whose messages go out through configured providers (PUT /providers/{id}). */
export const PROVIDER_CHANNELS = ['email', 'sms', 'push', 'chat'] as const;
export type ProviderChannel = (typeof PROVIDER_CHANNELS)[number];

/** Push tokens of a recipient, by the provider family that issued them (Courier's profile shape). */
export interface PushTokens {
  firebase: string[];
  apn: string[];
  expo: string[];
}

/** One send through one provider. The adapter makes exactly one provider request (no retries of its own). */
export interface ProviderSend {
  workspaceId: string;
  messageId: string;
  /** The provider's settings with its secrets opened (auth token, API key, private key): never log them. */
  config: Record<string, unknown>;
  /**
   * The channel's rendered content: sms `{ text }`; push `{ title, body, data, tokens: PushTokens }`;
   * chat `{ text, blocks }`; email `{ subject, html, text, headers }`.
   */
  content: JsonObject;
  /** E.164 number (sms), email address (email), Slack channel (chat, bot), else null. */
  address: string | null;
  /** Where the provider should post status callbacks for this message, when Herald takes them. */
  statusCallbackUrl: string | null;
  /** Called right before the request that may deliver leaves: the point of no return. */
  commit(): Promise<void>;
  /** Herald's SSRF-guarded HTTP client (safeFetch with the installation's private-network rules). */
  fetch(url: string, options: Omit<SafeFetchOptions, 'allowPrivateNetworks'>): Promise<SafeFetchResponse>;
  /**
   * The installation's HERALD_ALLOW_PRIVATE_NETWORKS, for an adapter that cannot use `fetch`
   * (APNs speaks HTTP/2, which undici's safeFetch does not) and guards its own connections with
   * safe-fetch's guardedLookup / refusedLiteralHost / refusedSocket. Absent: nothing private is allowed.
   */
  allowPrivateNetworks?: string[];
}

export interface ProviderReceipt {
  /** A short summary of the provider's answer ("HTTP 201 SM…"), kept in the attempt history. */
  response: string;
  /** The provider's id for the message (Twilio's MessageSid…), to match delivery receipts. */
  providerMessageId: string | null;
  /** True when the answer itself confirms delivery (a chat webhook's 200). */
  delivered: boolean;
  /** Push tokens the provider reported as no longer registered: removed from the profile. */
  unregisteredTokens?: string[];
  /** Tickets whose outcome the provider reports later (Expo's push receipts), read by the maintenance sweep. */
  receiptTickets?: Array<{ id: string; token: string }>;
}

/**
 * How a provider request failed:
 * - `retryable`: 408, 429, 5xx, a timeout or a connection failure: retried, then failed over;
 * - `recipient`: the provider refused the recipient (bad number, unregistered token): no failover;
 * - `provider`: this provider cannot send at all (bad credentials, refused destination): failed over at once.
 */
export type ProviderErrorKind = 'retryable' | 'recipient' | 'provider';

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly kind: ProviderErrorKind,
    readonly details: { status?: number; response?: string; unregisteredTokens?: string[] } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export interface ProviderAdapter {
  /** The `provider` value of PUT /providers/{id}: 'twilio', 'fcm', … */
  readonly name: string;
  readonly channel: ProviderChannel;
  /**
   * The provider dedupes on Herald's message id (an idempotency key), so a send repeated after a
   * crash reaches the recipient once. Otherwise the commit-point rule applies: an attempt that
   * died after commit() is not sent again.
   */
  readonly idempotent: boolean;
  /** Validates `config` of PUT /providers/{id} (secrets included). */
  readonly configSchema: z.ZodType<Record<string, unknown>>;
  /** Keys of `config` that are secrets: sealed at rest, masked in every answer. */
  readonly secretFields: readonly string[];
  /** Whether the message needs an address (an sms number; a Slack channel unless the config has one). */
  send(req: ProviderSend): Promise<ProviderReceipt>;
  /** For providers that report a ticket's outcome later (Expo): the receipts of these tickets that are ready. */
  readReceipts?(req: ReceiptsRequest): Promise<Map<string, TicketReceipt>>;
}

export interface ReceiptsRequest {
  config: Record<string, unknown>;
  ticketIds: string[];
  fetch: ProviderSend['fetch'];
}

/** A ticket's outcome: delivered to the platform's push service, or an error code (DeviceNotRegistered…). */
export type TicketReceipt = { ok: true } | { ok: false; error: string; message: string };

/** The error kind of an HTTP status that is not a success (recipient errors are decided per provider). */
export function httpStatusKind(status: number): ProviderErrorKind {
  return status === 408 || status === 429 || status >= 500 ? 'retryable' : 'provider';
}

/** A safeFetch failure as a ProviderError: refused destinations and bad URLs cannot pass later. */
export function requestFailure(provider: string, err: unknown): ProviderError {
  const permanent = err instanceof DestinationRefusedError || err instanceof InvalidUrlError || err instanceof HostNotAllowedError;
  return new ProviderError(`${provider}: ${(err as Error).message}`, permanent ? 'provider' : 'retryable');
}

/** The first `max` characters of a provider's answer, for the attempt history. */
export function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A provider's answer as a JSON object, or null when it is not one (an HTML error page, plain text). */
export function parseJsonObject(text: string): Record<string, any> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : null;
  } catch {
    return null;
  }
}

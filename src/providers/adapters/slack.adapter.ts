import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderErrorKind, ProviderReceipt, ProviderSend, requestFailure, parseJsonObject } from '../provider.types';

const config = z
  .object({
    /** A bot token (xoxb-…) with chat:write. */
    bot_token: z.string().regex(/^xox[a-z]-/, 'bot_token is a Slack token (xoxb-…)'),
    /** The channel when the message names none (an id like C0123 or a #name). */
    default_channel: z.string().min(1).optional(),
    /** The Web API's base URL; a local server in tests. */
    api_base_url: z.string().url().default('https://slack.com/api'),
  })
  .strict();

/** Slack's `error` codes (HTTP 200, ok: false) by what they say. */
const RECIPIENT_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'user_not_found']);
const PROVIDER_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope', 'no_permission']);
const RETRYABLE_ERRORS = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

function errorKind(error: string): ProviderErrorKind {
  if (RECIPIENT_ERRORS.has(error)) return 'recipient';
  if (RETRYABLE_ERRORS.has(error)) return 'retryable';
  // PROVIDER_ERRORS, and the payload errors (invalid_blocks, msg_too_long, no_text…): this provider cannot send it.
  return 'provider';
}

/**
 * Slack Web API chat.postMessage with a bot token. Slack answers HTTP 200 for its own refusals
 * (`{ ok: false, error }`), so the kind comes from `error`; there is no idempotency key: the
 * commit point comes before the request. A 200 ok is the message posted (delivered).
 */
export const slackAdapter: ProviderAdapter = {
  name: 'slack',
  channel: 'chat',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['bot_token'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    const channel = req.address ?? c.default_channel;
    if (!channel) throw new ProviderError('slack: no channel (the message names none and the provider has no default_channel)', 'recipient');
    const blocks = Array.isArray(req.content.blocks) && req.content.blocks.length ? req.content.blocks : undefined;
    const body = JSON.stringify({ channel, text: String(req.content.text ?? ''), ...(blocks ? { blocks } : {}) });
    await req.commit();
    let res;
    try {
      res = await req.fetch(`${c.api_base_url.replace(/\/$/, '')}/chat.postMessage`, {
        method: 'POST',
        body,
        timeoutMs: 30_000,
        maxRedirects: 0,
        headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${c.bot_token}`, 'User-Agent': 'Herald/1' },
      });
    } catch (err) {
      throw requestFailure('slack', err);
    }
    const json = parseJsonObject(res.body);
    if (res.status === 200 && json?.ok === true) {
      const ts = typeof json.ts === 'string' ? json.ts : null;
      return { response: clip(`HTTP 200 ok ${String(json.channel ?? channel)} ${ts ?? ''}`.trim()), providerMessageId: ts, delivered: true };
    }
    const error = typeof json?.error === 'string' ? json.error : null;
    const kind = res.status === 200 && error ? errorKind(error) : httpStatusKind(res.status);
    throw new ProviderError(`slack: HTTP ${res.status}${error ? ` ${error}` : ''}`, kind, { status: res.status, response: clip(res.body) });
  },
};


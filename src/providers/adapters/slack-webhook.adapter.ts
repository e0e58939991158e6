import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure } from '../provider.types';

const config = z
  .object({
    /** https://hooks.slack.com/services/T…/B…/…: the URL is the credential (a local server in tests). */
    webhook_url: z.string().url(),
  })
  .strict();

/**
 * A Slack incoming webhook: POST `{ text, blocks }` to its URL, which posts to the one channel it
 * was made for (so the message's address is not used). `ok` with HTTP 200 is the message posted.
 * Refusals are plain-text codes: 400 invalid_payload / no_text, 403 invalid_token /
 * action_prohibited, 404 no_service / channel_not_found, 410 channel_is_archived. Each means
 * this webhook cannot post (it names no recipient of ours): `provider`, so the next one is tried.
 * The URL is a secret and appears in no error message (safeFetch's name only scheme and host).
 */
export const slackWebhookAdapter: ProviderAdapter = {
  name: 'slack-webhook',
  channel: 'chat',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['webhook_url'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    const blocks = Array.isArray(req.content.blocks) && req.content.blocks.length ? req.content.blocks : undefined;
    const body = JSON.stringify({ text: String(req.content.text ?? ''), ...(blocks ? { blocks } : {}) });
    await req.commit();
    let res;
    try {
      res = await req.fetch(c.webhook_url, { method: 'POST', body, timeoutMs: 30_000, maxRedirects: 0, headers: { 'Content-Type': 'application/json', 'User-Agent': 'Herald/1' } });
    } catch (err) {
      throw requestFailure('slack-webhook', err);
    }
    const text = res.body.trim();
    if (res.status === 200) return { response: clip(`HTTP 200 ${text}`), providerMessageId: null, delivered: text === 'ok' };
    // The body is Slack's short error code; 408/429/5xx pass later.
    throw new ProviderError(`slack-webhook: HTTP ${res.status}${text ? ` ${clip(text, 100)}` : ''}`, httpStatusKind(res.status), { status: res.status, response: clip(res.body) });
  },
};

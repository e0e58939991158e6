import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure } from '../provider.types';

const config = z
  .object({
    /** The Teams incoming webhook (or Workflows "post to a channel when a webhook request is received") URL: the URL is the credential. */
    webhook_url: z.string().url(),
  })
  .strict();

/**
 * A Microsoft Teams webhook: POST a message with one Adaptive Card holding the text. The URL
 * posts to one channel, so the message's address is not used. 200 is the card posted; 202 (the
 * Workflows flavour) is accepted by the flow, not yet posted. Any other 4xx but 408/429 means the
 * webhook cannot post (removed, disabled, refused card): `provider`. The URL is a secret and
 * appears in no error message.
 */
export const teamsWebhookAdapter: ProviderAdapter = {
  name: 'teams-webhook',
  channel: 'chat',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['webhook_url'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    const card = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: String(req.content.text ?? ''), wrap: true }] },
        },
      ],
    };
    await req.commit();
    let res;
    try {
      res = await req.fetch(c.webhook_url, { method: 'POST', body: JSON.stringify(card), timeoutMs: 30_000, maxRedirects: 0, headers: { 'Content-Type': 'application/json', 'User-Agent': 'Herald/1' } });
    } catch (err) {
      throw requestFailure('teams-webhook', err);
    }
    // Office 365 connectors answer a throttled post with HTTP 200 and this text in the body.
    const throttled = res.status === 200 && /returned HTTP error 429/i.test(res.body);
    if ((res.status === 200 && !throttled) || res.status === 202) {
      return { response: clip(`HTTP ${res.status} ${res.body.trim()}`.trim()), providerMessageId: null, delivered: res.status === 200 };
    }
    const status = throttled ? 429 : res.status;
    throw new ProviderError(`teams-webhook: HTTP ${res.status}${throttled ? ' (throttled)' : ''}: ${clip(res.body.trim(), 200)}`, httpStatusKind(status), { status: res.status, response: clip(res.body) });
  },
};

import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure, parseJsonObject } from '../provider.types';

const config = z
  .object({
    /** Where messages are POSTed (the provider's endpoint; a local server in tests). */
    url: z.string().url(),
    api_key: z.string().min(1).optional(),
  })
  .strict();

/** Answers that name the recipient (a malformed or unreachable number): no failover. */
const RECIPIENT_STATUSES = new Set([400, 404, 422]);

/**
 * A generic HTTP SMS provider: POST JSON `{ message_id, to, text, status_callback_url }` with an
 * Idempotency-Key of Herald's message id, which the provider dedupes on, so a send repeated
 * after a crash reaches the phone once (idempotent: the commit point is not needed).
 */
export const httpSmsAdapter: ProviderAdapter = {
  name: 'http-sms',
  channel: 'sms',
  idempotent: true,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['api_key'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    if (!req.address) throw new ProviderError('http-sms: no phone number', 'recipient');
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': req.messageId, 'User-Agent': 'Herald/1' };
    if (c.api_key) headers.Authorization = `Bearer ${c.api_key}`;
    const body = JSON.stringify({ message_id: req.messageId, to: req.address, text: String(req.content.text ?? ''), status_callback_url: req.statusCallbackUrl });
    await req.commit();
    let res;
    try {
      res = await req.fetch(c.url, { method: 'POST', body, headers, timeoutMs: 30_000, maxRedirects: 0 });
    } catch (err) {
      throw requestFailure('http-sms', err);
    }
    const json = parseJsonObject(res.body);
    if (res.status >= 200 && res.status < 300) {
      const id = typeof json?.id === 'string' || typeof json?.id === 'number' ? String(json.id) : null;
      return { response: clip(`HTTP ${res.status} ${id ?? ''}`.trim()), providerMessageId: id, delivered: false };
    }
    const detail = json ? (json.message ?? json.error ?? res.body) : res.body;
    const kind = RECIPIENT_STATUSES.has(res.status) ? 'recipient' : res.status === 401 || res.status === 403 ? 'provider' : httpStatusKind(res.status);
    throw new ProviderError(`http-sms: HTTP ${res.status}: ${clip(String(typeof detail === 'string' ? detail : JSON.stringify(detail)), 200)}`, kind, { status: res.status, response: clip(res.body) });
  },
};


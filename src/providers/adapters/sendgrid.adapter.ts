import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure } from '../provider.types';

const config = z
  .object({
    api_key: z.string().min(10),
    /** A verified sender (single sender or an authenticated domain's address). */
    from_email: z.string().email(),
    from_name: z.string().min(1).optional(),
    /** The API's base URL (https://api.eu.sendgrid.com for EU subusers; a local server in tests). */
    api_base_url: z.string().url().default('https://api.sendgrid.com'),
  })
  .strict();

/** Headers SendGrid refuses in `headers` (it sets them itself), compared lower-case. */
const RESERVED_HEADERS = new Set(['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from', 'subject', 'reply-to', 'cc', 'bcc']);

/**
 * Twilio SendGrid v3 Mail Send (POST /v3/mail/send): one personalization to the address, the
 * message id in a header and in custom_args (so Event Webhook posts carry it). 202 is queued
 * (X-Message-Id). No idempotency key: the commit point comes before the request.
 */
export const sendgridAdapter: ProviderAdapter = {
  name: 'sendgrid',
  channel: 'email',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['api_key'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    if (!req.address) throw new ProviderError('sendgrid: no email address', 'recipient');
    const { subject, text, html } = req.content;
    // text/plain must come before text/html.
    const content = [
      ...(typeof text === 'string' && text ? [{ type: 'text/plain', value: text }] : []),
      ...(typeof html === 'string' && html ? [{ type: 'text/html', value: html }] : []),
    ];
    const headers: Record<string, string> = {};
    const given = req.content.headers;
    if (given && typeof given === 'object' && !Array.isArray(given)) {
      for (const [name, value] of Object.entries(given)) {
        if (typeof value === 'string' && !RESERVED_HEADERS.has(name.toLowerCase())) headers[name] = value;
      }
    }
    headers['X-Herald-Message-Id'] = req.messageId;
    const body = {
      personalizations: [{ to: [{ email: req.address }] }],
      from: { email: c.from_email, ...(c.from_name ? { name: c.from_name } : {}) },
      subject: String(subject ?? ''),
      content,
      headers,
      custom_args: { herald_message_id: req.messageId },
    };
    await req.commit();
    let res;
    try {
      res = await req.fetch(`${c.api_base_url.replace(/\/$/, '')}/v3/mail/send`, {
        method: 'POST',
        body: JSON.stringify(body),
        timeoutMs: 30_000,
        maxRedirects: 0,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${c.api_key}`, 'User-Agent': 'Herald/1' },
      });
    } catch (err) {
      throw requestFailure('sendgrid', err);
    }
    if (res.status === 202 || res.status === 200) {
      const id = res.headers['x-message-id'] ?? null;
      return { response: clip(`HTTP ${res.status} ${id ?? ''}`.trim()), providerMessageId: id, delivered: false };
    }
    // `{ errors: [{ message, field, help }] }`; an error on the recipient's address is about the recipient.
    const errors = parseErrors(res.body);
    const aboutRecipient = res.status === 400 && errors.some((e) => typeof e.field === 'string' && e.field.startsWith('personalizations.0.to'));
    const kind = aboutRecipient ? 'recipient' : httpStatusKind(res.status);
    const detail = errors.map((e) => `${e.field ? `${e.field}: ` : ''}${e.message ?? ''}`).join('; ') || res.body;
    throw new ProviderError(`sendgrid: HTTP ${res.status}: ${clip(detail, 200)}`, kind, { status: res.status, response: clip(res.body) });
  },
};

function parseErrors(text: string): Array<{ message?: string; field?: string | null }> {
  try {
    const v = JSON.parse(text) as { errors?: unknown };
    return Array.isArray(v?.errors) ? (v.errors as Array<{ message?: string; field?: string | null }>) : [];
  } catch {
    return [];
  }
}

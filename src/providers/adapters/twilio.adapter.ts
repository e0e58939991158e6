import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, requestFailure, parseJsonObject } from '../provider.types';

/** Twilio error codes that name the recipient (bad number, landline, opted out, blocked region): no failover. */
const RECIPIENT_CODES = new Set([21211, 21214, 21217, 21401, 21407, 21408, 21421, 21610, 21612, 21614, 21635]);

const config = z
  .object({
    account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'account_sid is AC followed by 32 hex digits'),
    auth_token: z.string().min(8),
    from: z.string().min(1).optional().describe('Sender number (E.164) or alphanumeric sender id'),
    messaging_service_sid: z.string().regex(/^MG[0-9a-fA-F]{32}$/).optional(),
    /** The API's base URL; a local server in tests. */
    api_base_url: z.string().url().default('https://api.twilio.com'),
  })
  .strict()
  .refine((c) => c.from !== undefined || c.messaging_service_sid !== undefined, { message: 'give from or messaging_service_sid', path: ['from'] });

/**
 * Twilio Programmable Messaging (POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded,
 * basic auth). The API has no idempotency key: the commit-point rule applies. Status callbacks
 * come back to POST /receipts/twilio/{workspace}/{provider}, signed with the auth token.
 */
export const twilioAdapter: ProviderAdapter = {
  name: 'twilio',
  channel: 'sms',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['auth_token'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    if (!req.address) throw new ProviderError('twilio: no phone number', 'recipient');
    const form = new URLSearchParams({ To: req.address, Body: String(req.content.text ?? '') });
    if (c.messaging_service_sid) form.set('MessagingServiceSid', c.messaging_service_sid);
    else form.set('From', c.from!);
    if (req.statusCallbackUrl) form.set('StatusCallback', req.statusCallbackUrl);
    const url = `${c.api_base_url.replace(/\/$/, '')}/2010-04-01/Accounts/${c.account_sid}/Messages.json`;
    await req.commit();
    let res;
    try {
      res = await req.fetch(url, {
        method: 'POST',
        body: form.toString(),
        timeoutMs: 30_000,
        maxRedirects: 0,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${c.account_sid}:${c.auth_token}`).toString('base64')}`,
          'User-Agent': 'Herald/1',
        },
      });
    } catch (err) {
      throw requestFailure('twilio', err);
    }
    const body = parseJsonObject(res.body);
    if (res.status === 201 || res.status === 200) {
      const sid = typeof body?.sid === 'string' ? body.sid : null;
      return { response: clip(`HTTP ${res.status} ${sid ?? ''} ${String(body?.status ?? '')}`.trim()), providerMessageId: sid, delivered: false };
    }
    const code = typeof body?.code === 'number' ? body.code : null;
    const message = `twilio: HTTP ${res.status}${code ? ` code ${code}` : ''}: ${clip(String(body?.message ?? res.body), 200)}`;
    const kind = code !== null && RECIPIENT_CODES.has(code) ? 'recipient' : httpStatusKind(res.status);
    throw new ProviderError(message, kind, { status: res.status, response: clip(res.body) });
  },
};


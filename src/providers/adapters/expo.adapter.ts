import { z } from 'zod';
import { clip, httpStatusKind, ProviderAdapter, ProviderError, ProviderReceipt, ProviderSend, ReceiptsRequest, requestFailure, parseJsonObject, TicketReceipt } from '../provider.types';
import { noTokens, PushOutcome, pushTokens } from './push-tokens';

const config = z
  .object({
    /** Only for projects with "enhanced push security" on. */
    access_token: z.string().min(1).optional(),
    /** The API's base URL; a local server in tests. */
    api_base_url: z.string().url().default('https://exp.host'),
  })
  .strict();

/**
 * Expo push service (POST /--/api/v2/push/send): every Expo token of the recipient in one
 * request, answered with one ticket per message, in order. There is no idempotency key: the
 * commit point comes before the request. Each accepted ticket is kept; the maintenance sweep
 * reads its receipt (POST /--/api/v2/push/getReceipts) once it is HERALD_PUSH_RECEIPT_DELAY old
 * (PushReceiptsService).
 */
export const expoAdapter: ProviderAdapter = {
  name: 'expo',
  channel: 'push',
  idempotent: false,
  configSchema: config as unknown as z.ZodType<Record<string, unknown>>,
  secretFields: ['access_token'],
  async send(req: ProviderSend): Promise<ProviderReceipt> {
    const c = config.parse(req.config);
    const tokens = pushTokens(req.content).expo;
    if (!tokens.length) throw noTokens('expo');
    const { title, body, data } = req.content;
    const messages = tokens.map((to) => ({
      to,
      ...(typeof title === 'string' ? { title } : {}),
      ...(typeof body === 'string' ? { body } : {}),
      ...(data && typeof data === 'object' && !Array.isArray(data) && Object.keys(data).length ? { data } : {}),
    }));
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'Herald/1' };
    if (c.access_token) headers.Authorization = `Bearer ${c.access_token}`;
    const outcome = new PushOutcome('expo', tokens.length);

    await req.commit();
    let res;
    try {
      res = await req.fetch(`${c.api_base_url.replace(/\/$/, '')}/--/api/v2/push/send`, { method: 'POST', body: JSON.stringify(messages), headers, timeoutMs: 30_000, maxRedirects: 0 });
    } catch (err) {
      throw requestFailure('expo', err);
    }
    const json = parseJsonObject(res.body);
    if (res.status !== 200 || !Array.isArray(json?.data)) {
      // Request-level errors: `{ errors: [{ code, message }] }` (UNAUTHORIZED, TOO_MANY_REQUESTS, PUSH_TOO_MANY_EXPERIENCE_IDS…).
      const first = Array.isArray(json?.errors) ? json.errors[0] : undefined;
      const code = typeof first?.code === 'string' ? first.code : null;
      const kind = res.status === 200 ? 'provider' : httpStatusKind(res.status);
      throw new ProviderError(`expo: HTTP ${res.status}${code ? ` ${code}` : ''}: ${clip(String(first?.message ?? res.body), 200)}`, kind, { status: res.status, response: clip(res.body) });
    }
    const tickets = json.data as Array<{ status?: string; id?: string; message?: string; details?: { error?: string } }>;
    let worst: ProviderError | null = null;
    for (const [i, token] of tokens.entries()) {
      const t = tickets[i];
      if (t?.status === 'ok') {
        outcome.accept(token, typeof t.id === 'string' ? t.id : null);
        continue;
      }
      const error = String(t?.details?.error ?? 'missing ticket');
      if (error === 'DeviceNotRegistered') {
        outcome.unregister(token);
        continue;
      }
      // A rate exceeded for one device can pass later; the rest (InvalidCredentials: Expo's stored
      // FCM/APNs credentials, MessageTooBig…) is about the project or the payload.
      const kind = error === 'MessageRateExceeded' ? 'retryable' : 'provider';
      const text = tokens.reduce((m, tok) => m.split(tok).join('[token]'), String(t?.message ?? ''));
      if (!worst || (worst.kind === 'retryable' && kind === 'provider')) worst = new ProviderError(`expo: ${error}: ${clip(text, 200)}`, kind, { status: 200, response: clip(res.body) });
    }
    const receipt = worst ? outcome.stop(worst) : outcome.finish();
    return { ...receipt, receiptTickets: outcome.tickets() };
  },

  /**
   * POST /--/api/v2/push/getReceipts `{ ids }` (at most 1000): `{ data: { <id>: { status: 'ok' } |
   * { status: 'error', message, details: { error } } } }`; an id without a receipt yet is absent.
   */
  async readReceipts(req: ReceiptsRequest): Promise<Map<string, TicketReceipt>> {
    const c = config.parse(req.config);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'Herald/1' };
    if (c.access_token) headers.Authorization = `Bearer ${c.access_token}`;
    let res;
    try {
      res = await req.fetch(`${c.api_base_url.replace(/\/$/, '')}/--/api/v2/push/getReceipts`, { method: 'POST', body: JSON.stringify({ ids: req.ticketIds.slice(0, 1000) }), headers, timeoutMs: 30_000, maxRedirects: 0 });
    } catch (err) {
      throw requestFailure('expo', err);
    }
    const json = parseJsonObject(res.body);
    const data = json?.data;
    if (res.status !== 200 || !data || typeof data !== 'object' || Array.isArray(data)) {
      throw new ProviderError(`expo receipts: HTTP ${res.status}: ${clip(res.body, 200)}`, httpStatusKind(res.status), { status: res.status });
    }
    const receipts = new Map<string, TicketReceipt>();
    for (const id of req.ticketIds) {
      const r = (data as Record<string, { status?: string; message?: string; details?: { error?: string } } | undefined>)[id];
      if (r?.status === 'ok') receipts.set(id, { ok: true });
      else if (r?.status === 'error') receipts.set(id, { ok: false, error: String(r.details?.error ?? 'error'), message: clip(String(r.message ?? ''), 200) });
    }
    return receipts;
  },
};

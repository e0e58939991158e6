import { z } from 'zod';
import type { JsonObject } from '../../workflows/shared/json';
import { ApiError, badRequest } from '../common/errors/api-error';
import { safeFetch } from '../common/net/safe-fetch';
import { e164 } from '../messages/channels/phone-number';
import { pushTokensOf } from '../messages/channels/push-tokens';
import type { OpenedProvider } from './providers.service';
import { ProviderError } from './provider.types';

export const testSendSchema = z
  .object({
    to: z.record(z.string(), z.unknown()).default({}).describe('phone_number, email, firebaseToken / apn / expo, slack.channel'),
    text: z.string().min(1).max(1000).default('A test message from Herald'),
  })
  .strict();

/**
 * A test send through one provider, straight to its API (no message, no retries, no failover):
 * what the provider answered, for the Studio's providers page.
 */
export async function testSend(workspaceId: string, p: OpenedProvider, body: unknown, allowPrivateNetworks: string[], commit: () => Promise<void>) {
  const parsed = testSendSchema.safeParse(body ?? {});
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  if (!p.adapter) throw badRequest(`${p.provider}: test sends go through provider APIs; send to the smtp provider with POST /send`);
  const { to, text } = parsed.data;
  let address: string | null = null;
  if (p.channel === 'sms') {
    address = typeof to.phone_number === 'string' ? e164(to.phone_number) : null;
    if (!address) throw badRequest('to.phone_number: a valid phone number in E.164 form is required');
  } else if (p.channel === 'email') {
    address = typeof to.email === 'string' ? to.email : null;
    if (!address) throw badRequest('to.email is required');
  } else if (p.channel === 'chat') {
    const slack = to.slack as { channel?: unknown } | undefined;
    address = typeof slack?.channel === 'string' ? slack.channel : null;
  }
  const tokens = pushTokensOf(to as JsonObject, {});
  if (p.channel === 'push' && !tokens.firebase.length && !tokens.apn.length && !tokens.expo.length) throw badRequest('to needs a push token (firebaseToken, apn.token, expo.tokens)');
  const content: JsonObject =
    p.channel === 'email' ? { subject: 'Herald test message', text } : p.channel === 'push' ? { title: 'Herald', body: text, data: {}, tokens: tokens as unknown as JsonObject } : { text };
  try {
    const receipt = await p.adapter.send({
      workspaceId,
      messageId: `test-${Date.now()}`,
      config: { ...p.config, ...p.secrets },
      content,
      address,
      statusCallbackUrl: null,
      commit,
      fetch: (url, options) => safeFetch(url, { ...options, allowPrivateNetworks }),
      allowPrivateNetworks,
    });
    return { ok: true, response: receipt.response, provider_message_id: receipt.providerMessageId, error: null, error_kind: null };
  } catch (err) {
    if (err instanceof ApiError) throw err; // the commit refused it (the provider's rate limit): nothing was sent
    const e = err instanceof ProviderError ? err : new ProviderError((err as Error).message, 'provider');
    return { ok: false, response: e.details.response ?? null, provider_message_id: null, error: e.message, error_kind: e.kind };
  }
}

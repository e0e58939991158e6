import { z } from 'zod';
import { component, dateTime, jsonObject } from '../common/openapi/schemas';
import { PROVIDER_CHANNELS } from './provider.types';

export const ProviderSchema = component(
  'Provider',
  z.object({
    id: z.string(),
    channel: z.enum(PROVIDER_CHANNELS),
    provider: z.string(),
    config: jsonObject().describe('settings; secrets masked (their first four characters at most)'),
    priority: z.int().describe('lower is tried first'),
    rate_limit: z.number().nullable().describe('messages per second, shared by every worker'),
    max_attempts: z.int(),
    failover_after_ms: z.int(),
    enabled: z.boolean(),
    receipt_secret: z.string().nullable().describe('masked'),
    receipt_url: z.string().describe('where the provider posts delivery receipts'),
    created_at: dateTime(),
    updated_at: dateTime(),
  }),
);

export const ProviderListSchema = component('ProviderList', z.object({ items: z.array(ProviderSchema) }));

export const ProviderTestResultSchema = component(
  'ProviderTestResult',
  z.object({
    ok: z.boolean(),
    response: z.string().nullable(),
    provider_message_id: z.string().nullable(),
    error: z.string().nullable(),
    error_kind: z.enum(['retryable', 'recipient', 'provider']).nullable(),
  }),
);

import { z } from 'zod';
import { component, dateTime } from '../common/openapi/schemas';

export const ApiKeySchema = component(
  'ApiKey',
  z.object({
    id: z.string(),
    name: z.string(),
    key_hint: z.string().describe('the first characters of the key, masked'),
    status: z.enum(['active', 'expired', 'revoked']),
    created_at: dateTime(),
    expires_at: dateTime().nullable(),
    last_used_at: dateTime().nullable(),
    revoked_at: dateTime().nullable(),
  }),
);

export const NewApiKeySchema = component(
  'NewApiKey',
  z.object({ id: z.string(), name: z.string(), key: z.string().describe('the full key: shown in this answer only'), key_hint: z.string(), created_at: dateTime(), expires_at: dateTime().nullable() }),
);

export const ApiKeyListSchema = component('ApiKeyList', z.object({ items: z.array(ApiKeySchema) }));

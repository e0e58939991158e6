import type { ProviderAdapter } from '../provider.types';
import { twilioAdapter } from './twilio.adapter';

/** Every provider Herald can send through, by the `provider` name of PUT /providers/{id}. */
export const PROVIDER_ADAPTERS: Record<string, ProviderAdapter> = Object.fromEntries([twilioAdapter].map((a) => [a.name, a]));

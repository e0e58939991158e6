import type { ProviderAdapter } from '../provider.types';
import { apnsAdapter } from './apns.adapter';
import { expoAdapter } from './expo.adapter';
import { fcmAdapter } from './fcm.adapter';
import { httpSmsAdapter } from './http-sms.adapter';
import { sendgridAdapter } from './sendgrid.adapter';
import { slackWebhookAdapter } from './slack-webhook.adapter';
import { slackAdapter } from './slack.adapter';
import { teamsWebhookAdapter } from './teams-webhook.adapter';
import { twilioAdapter } from './twilio.adapter';

/** Every provider Herald can send through, by the `provider` name of PUT /providers/{id}. */
export const PROVIDER_ADAPTERS: Record<string, ProviderAdapter> = Object.fromEntries(
  [twilioAdapter, httpSmsAdapter, sendgridAdapter, fcmAdapter, apnsAdapter, expoAdapter, slackAdapter, slackWebhookAdapter, teamsWebhookAdapter].map((a) => [a.name, a]),
);

import { z } from 'zod';
import { component, dateTime, jsonObject, page } from '../common/openapi/schemas';
import { MESSAGE_STATUSES } from './message-status';

const MessageStatusSchema = z.enum(MESSAGE_STATUSES as [string, ...string[]]);
const epochMs = () => z.number().describe('epoch milliseconds');

export const SendAcceptedSchema = component('SendAccepted', z.object({ requestId: z.string().describe('also the message id of a send to one recipient') }));

export const MessageSchema = component(
  'Message',
  z.object({
    id: z.string(),
    status: MessageStatusSchema,
    recipient: z.string().nullable(),
    notification: z.string().nullable(),
    event: z.string().nullable().describe("Courier's name for notification"),
    run_id: z.string().nullable(),
    request_id: z.string().nullable(),
    channels: z.array(z.string()),
    providers: jsonObject().describe('per channel, the provider it went out through'),
    to: jsonObject(),
    error: z.string().nullable(),
    reason: z.string().nullable(),
    enqueued: epochMs(),
    sent: epochMs().nullable(),
    delivered: epochMs().nullable(),
    opened: epochMs().nullable(),
    clicked: epochMs().nullable(),
    canceled: epochMs().nullable(),
    scheduled_for: dateTime().nullable().describe('when a delay or quiet hours hold the message until'),
  }),
);
export const MessagePageSchema = page('MessagePage', MessageSchema);

export const MessageOutputSchema = component(
  'MessageOutput',
  z.object({
    results: z.array(
      z.object({
        channel: z.string(),
        channel_id: z.string(),
        content: z.object({
          subject: z.string().nullable().optional(),
          html: z.string().nullable().optional(),
          text: z.string().nullable().optional(),
          headers: z.record(z.string(), z.string()).nullable().optional(),
          title: z.string().nullable().optional(),
          body: z.string().nullable().optional(),
          action_url: z.string().nullable().optional(),
          data: jsonObject().nullable().optional(),
          blocks: z.array(z.unknown()).nullable().optional(),
        }).describe('email: subject, html, text, headers; inbox: title, body, action_url; sms: text; push: title, body, data (device tokens left out); chat: text, blocks; webhook: body (the JSON sent)'),
        status: z.string().describe("how the channel's attempt ended, or not attempted"),
        error: z.string().nullable(),
      }),
    ),
  }),
);

export const MessageHistorySchema = component(
  'MessageHistory',
  z.object({
    message_id: z.string(),
    items: z.array(z.object({ status: MessageStatusSchema, channel: z.string().nullable(), detail: jsonObject().nullable(), at: dateTime() })),
    attempts: z
      .array(
        z.object({
          channel: z.string(),
          provider_id: z.string(),
          provider: z.string(),
          state: z.enum(['sending', 'accepted', 'failed']),
          status_code: z.int().nullable(),
          response: z.string().nullable(),
          error: z.string().nullable(),
          provider_message_id: z.string().nullable(),
          started_at: dateTime(),
          sent_at: dateTime().nullable().describe('when the request left, after the rate limit (null when it never did)'),
          finished_at: dateTime().nullable(),
        }),
      )
      .describe('each request to a configured provider, in order (failovers included)'),
  }),
);

export const SigningSecretSchema = component(
  'WebhookSigningSecret',
  z.object({ secret: z.string().describe('masked (empty when none was made yet)'), created_at: dateTime().nullable() }),
);
export const NewSigningSecretSchema = component('NewWebhookSigningSecret', z.object({ secret: z.string().describe('in full, this once'), created_at: dateTime() }));

export const AllowedHostsSchema = component('WebhookAllowedHosts', z.object({ hosts: z.array(z.string()).nullable().describe('null: any public host') }));

export const InboxPageSchema = page(
  'InboxPage',
  z.object({ id: z.string(), title: z.string().nullable(), body: z.string().nullable(), action_url: z.string().nullable(), created_at: dateTime(), read: z.boolean(), opened: z.boolean(), clicked: z.boolean() }),
);
export const InboxMarkSchema = component('InboxMark', z.object({ id: z.string(), status: MessageStatusSchema }));

export const SuppressionSchema = component(
  'Suppression',
  z.object({ email: z.string(), reason: z.enum(['BOUNCED', 'MANUAL']), detail: z.string().nullable(), created_at: dateTime() }),
);

export const DeliverySettingsSchema = component(
  'DeliverySettings',
  z.object({ default_timezone: z.string().nullable(), quiet_hours: z.string().nullable().describe('opening hours messages may go out in, e.g. Mo-Su 08:00-21:00') }),
);

import { z } from 'zod';

export const CHANNELS = ['email', 'inbox', 'webhook', 'sms', 'push', 'chat'] as const;
export type ChannelName = (typeof CHANNELS)[number];

const emailChannel = z
  .object({ subject: z.string().min(1), html: z.string().optional(), text: z.string().optional() })
  .strict()
  .refine((c) => c.html !== undefined || c.text !== undefined, { message: 'email needs html or text', path: ['html'] });
const inboxChannel = z.object({ title: z.string().min(1), body: z.string(), action_url: z.string().optional() }).strict();
const webhookChannel = z
  .object({ url: z.string().regex(/^https?:\/\//, 'url must be an http(s) URL').optional(), body: z.record(z.string(), z.unknown()).optional() })
  .strict();

const smsChannel = z.object({ text: z.string().min(1).max(1600) }).strict();
const pushChannel = z
  .object({ title: z.string().min(1), body: z.string(), data: z.record(z.string(), z.unknown()).optional() })
  .strict();
const chatChannel = z
  .object({ text: z.string().optional(), blocks: z.array(z.record(z.string(), z.unknown())).max(50).optional() })
  .strict()
  .refine((c) => c.text !== undefined || c.blocks !== undefined, { message: 'chat needs text or blocks', path: ['text'] });

export const routingSchema = z
  .object({ method: z.enum(['single', 'all']).default('single'), channels: z.array(z.enum(CHANNELS)).min(1) })
  .strict();

/** A notification template: Liquid content per channel, and how to route between channels. */
export const notificationSchema = z
  .object({
    name: z.string().min(1).max(200),
    channels: z
      .object({ email: emailChannel.optional(), inbox: inboxChannel.optional(), webhook: webhookChannel.optional(), sms: smsChannel.optional(), push: pushChannel.optional(), chat: chatChannel.optional() })
      .strict()
      .refine((c) => Object.keys(c).length > 0, { message: 'at least one channel is required' }),
    routing: routingSchema.optional(),
    /** The subscription topic whose preferences decide whether a recipient gets it. */
    subscription_topic_id: z.string().min(1).max(200).optional(),
  })
  .strict();

export type NotificationInput = z.infer<typeof notificationSchema>;
export type Routing = z.infer<typeof routingSchema>;
export type NotificationChannels = NotificationInput['channels'];

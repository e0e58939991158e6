import { z } from 'zod';
import { component, dateTime, jsonObject, page } from '../common/openapi/schemas';
import { CHANNELS } from './notification.schema';

export const NotificationSchema = component(
  'Notification',
  z.object({
    id: z.string(),
    name: z.string(),
    channels: z.object({
      email: z.object({ subject: z.string(), html: z.string().optional(), text: z.string().optional() }).optional(),
      inbox: z.object({ title: z.string(), body: z.string(), action_url: z.string().optional() }).optional(),
      webhook: z.object({ url: z.string().optional(), body: jsonObject().optional() }).optional(),
      sms: z.object({ text: z.string() }).optional(),
      push: z.object({ title: z.string(), body: z.string(), data: jsonObject().optional() }).optional(),
      chat: z.object({ text: z.string().optional(), blocks: z.array(jsonObject()).optional() }).optional(),
    }).describe('Liquid content per channel'),
    routing: z.object({ method: z.enum(['single', 'all']), channels: z.array(z.enum(CHANNELS)) }).nullable(),
    subscription_topic_id: z.string().nullable(),
    created_at: dateTime(),
    updated_at: dateTime(),
  }),
);
export const NotificationPageSchema = page('NotificationPage', NotificationSchema);

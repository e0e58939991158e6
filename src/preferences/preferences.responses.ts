import { z } from 'zod';
import { component, courierPage, dateTime, page } from '../common/openapi/schemas';
import { CHANNELS } from '../notifications/notification.schema';
import { PREFERENCE_STATUSES } from './preferences.service';

const Status = z.enum(PREFERENCE_STATUSES);
const Choice = z.enum(['OPTED_IN', 'OPTED_OUT']);
const Channels = z.array(z.enum(CHANNELS));
const Source = z.enum(['api', 'link', 'page', 'mail', 'identify']);

export const TopicSchema = component(
  'SubscriptionTopic',
  z.object({ id: z.string(), name: z.string(), default_status: Status, allowed_channels: Channels.nullable(), created_at: dateTime(), updated_at: dateTime() }),
);
export const TopicListSchema = component('SubscriptionTopicList', z.object({ items: z.array(TopicSchema) }));

export const PreferenceSchema = component(
  'Preference',
  z.object({
    topic_id: z.string(),
    topic_name: z.string(),
    default_status: Status,
    status: Status,
    has_custom_routing: z.boolean(),
    custom_routing: Channels,
    source: Source.nullable().describe('where the choice was made; null: never chosen'),
    updated_at: dateTime().nullable(),
  }),
);
export const PreferencePageSchema = courierPage('PreferencePage', PreferenceSchema);
export const TopicPreferenceSchema = component('TopicPreference', z.object({ topic: PreferenceSchema }));

export const PreferenceChangePageSchema = page(
  'PreferenceChangePage',
  z.object({ topic_id: z.string(), status: Choice, previous_status: Choice.nullable(), has_custom_routing: z.boolean(), custom_routing: Channels, source: Source, changed_at: dateTime() }),
);

export const TenantDefaultPreferenceSchema = component(
  'TenantDefaultPreference',
  z.object({ id: z.string().describe('the topic id'), status: Choice, has_custom_routing: z.boolean(), custom_routing: Channels, updated_at: dateTime() }),
);

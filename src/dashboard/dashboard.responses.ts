import { z } from 'zod';
import { component } from '../common/openapi/schemas';

const count = z.number().int().min(0);
/** One series per key, one entry per bucket (zeros included), and the key's total over the window. */
const seriesGroup = (what: string) =>
  z.object({
    series: z.record(z.string(), z.array(count)).describe(`${what} per bucket, by key`),
    totals: z.record(z.string(), count).describe(`${what} in the window, by key`),
  });
const rate = z.number().min(0).max(1).nullable();

export const funnelEntrySchema = z.object({
  template: z.string().describe('the notification template id'),
  sent: count.describe('messages of the template that reached SENT or a later stage, sent in the window'),
  delivered: count.describe('of those, reached DELIVERED or later (an opened email counts)'),
  opened: count.describe('of those, reached OPENED or later'),
  clicked: count.describe('of those, reached CLICKED'),
  delivered_rate: rate.describe('delivered / sent; null when sent is 0'),
  opened_rate: rate.describe('opened / sent; null when sent is 0'),
  clicked_rate: rate.describe('clicked / sent; null when sent is 0'),
});

export const dashboardSchema = component('Dashboard', z.object({
  window: z.enum(['hour', 'day', 'week']),
  from: z.iso.datetime().describe('start of the first bucket (inclusive)'),
  to: z.iso.datetime().describe('end of the last bucket (exclusive); the last bucket is the current one'),
  bucket_seconds: z.number().int().describe('hour: 60 (60 buckets), day: 1800 (48), week: 3600 (168)'),
  buckets: z.array(z.iso.datetime()).describe('each bucket start, oldest first'),
  events: seriesGroup('inbound events accepted').describe('keys: identify, track, group, page, screen, alias'),
  runs: seriesGroup('runs').extend({
    active: z.object({ PROCESSING: count, WAITING: count }).describe('runs in these statuses now'),
  }).describe('keys: started (runs created), PROCESSED, CANCELED, ERROR (runs reaching that final status)'),
  messages: seriesGroup('transitions into the status').describe('keys: the message statuses (ENQUEUED, SENT, DELIVERED, OPENED, CLICKED, UNDELIVERABLE, ...)'),
  funnel: z.array(funnelEntrySchema).describe('per notification template, by sent (descending), at most 50'),
  outbound: z.object({
    pending: count.describe('events in the RudderStack outbox not yet sent'),
    oldest_pending_at: z.iso.datetime().nullable().describe('when the oldest pending event was written'),
    last_error: z.object({ at: z.iso.datetime(), message: z.string() }).nullable().describe("the integration's last send error"),
  }),
}));

export type Dashboard = z.infer<typeof dashboardSchema>;
export type FunnelEntry = z.infer<typeof funnelEntrySchema>;


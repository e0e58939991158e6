import { z } from 'zod';
import { component, dateTime, jsonObject, page } from '../common/openapi/schemas';

export const ScheduleSchema = component(
  'Schedule',
  z.object({
    id: z.string(),
    cron: z.string().optional(),
    rrule: z.string().optional(),
    at: z.string().optional(),
    timezone: z.string(),
    target: z.union([
      z.object({ template: z.string(), to: jsonObject() }),
      z.object({ automation: z.string(), recipient: z.string().optional() }),
      z.object({ sequence: z.string(), recipient: z.string() }),
      z.object({ broadcast: z.string() }),
    ]),
    data: jsonObject(),
    paused: z.boolean(),
    next_runs: z.array(dateTime()).describe('the next firings, at most 5; none while paused'),
    next_runs_source: z.enum(['temporal', 'herald']),
    last_run: z
      .object({
        at: dateTime(),
        workflow_id: z.string(),
        status: z.string().describe("COMPLETED, FAILED or SKIPPED as recorded; Temporal's workflow status until then"),
        result: jsonObject().nullable(),
        error: z.string().nullable(),
      })
      .nullable(),
    temporal: z.object({
      schedule_id: z.string(),
      spec_mode: z.enum(['calendar', 'occurrences']),
      status: z.enum(['ok', 'missing', 'unavailable', 'not_checked']),
      ui_url: z.string().nullable(),
    }),
    created_at: dateTime(),
    updated_at: dateTime(),
  }),
  'Exactly one of cron, rrule or at is present',
);
export const SchedulePageSchema = page('SchedulePage', ScheduleSchema);
export const ScheduleTriggeredSchema = component('ScheduleTriggered', z.object({ triggered: z.literal(true), schedule_id: z.string() }));

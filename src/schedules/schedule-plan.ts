import type { CalendarSpec, ScheduleSpec } from '@temporalio/client';
import { DateTime } from 'luxon';
import { cronCalendars, CronError, nextCronRuns, parseCron } from './cron';
import { nextRRuleRuns, parseRRule, RRuleError, rruleCalendars } from './rrule';

export type ScheduleKind = 'cron' | 'rrule' | 'at';

/** The "when" of a schedule, as stored. */
export interface ScheduleTiming {
  kind: ScheduleKind;
  /** The cron, the RRULE text, or the `at` instant (ISO, UTC). */
  expression: string;
  timezone: string;
  /** What an RRULE without DTSTART counts from (epoch ms; the schedule's creation, to the minute). */
  anchorMs: number;
}

/** How Temporal is told the timing. */
export type PlanMode = 'calendar' | 'occurrences';

export interface SchedulePlan {
  mode: PlanMode;
  spec: ScheduleSpec;
  /** Herald's own reading of the timing: the next runs after `afterMs` (used when Temporal cannot be asked). */
  nextRuns(afterMs: number, count: number): number[];
}

/** How many computed occurrences a schedule is fed at a time (refilled at every firing). */
export const FED_OCCURRENCES = 10;

export class TimingError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** An `at` as given: an ISO date-time; without an offset it is read in the schedule's zone. Rounded up to the second (Temporal's resolution). */
export function parseAt(value: unknown, zone: string): number {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value.trim())) {
    throw new TimingError('at', 'at must be an ISO 8601 date-time such as "2030-01-06T09:00:00Z" (without an offset it is read in the schedule\'s timezone)');
  }
  const dt = DateTime.fromISO(value.trim(), { zone });
  if (!dt.isValid) throw new TimingError('at', `at ${JSON.stringify(value.slice(0, 60))} is not a valid date-time (${dt.invalidExplanation ?? dt.invalidReason})`);
  return Math.ceil(dt.toMillis() / 1000) * 1000;
}

/**
 * Turns a stored timing into what the Temporal Schedule gets, and Herald's own reading of it:
 * - cron: Herald's translation into calendar specs in the zone (Temporal evaluates them, DST included);
 * - rrule: calendar specs when they say exactly what the rule says, else the next
 *   FED_OCCURRENCES occurrences (computed with the rrule library) as exact UTC calendar
 *   entries, refilled after every firing;
 * - at: one exact UTC calendar entry.
 * Throws TimingError (a 400 naming the field).
 */
export function planTiming(t: ScheduleTiming, nowMs: number): SchedulePlan {
  const comment = `herald ${t.kind} ${t.expression.split(/\r?\n/).join(' ').slice(0, 180)}${t.kind === 'at' ? '' : ` in ${t.timezone}`}`;
  switch (t.kind) {
    case 'cron': {
      let cron;
      try {
        cron = parseCron(t.expression);
      } catch (err) {
        if (err instanceof CronError) throw new TimingError('cron', err.message);
        throw err;
      }
      return { mode: 'calendar', spec: { calendars: cronCalendars(cron, comment), timezone: t.timezone }, nextRuns: (after, n) => nextCronRuns(cron, t.timezone, after, n) };
    }
    case 'rrule': {
      let parsed;
      try {
        parsed = parseRRule(t.expression, t.timezone, t.anchorMs);
      } catch (err) {
        if (err instanceof RRuleError) throw new TimingError('rrule', err.message);
        throw err;
      }
      const nextRuns = (after: number, n: number) => nextRRuleRuns(parsed, after, n);
      const translated = rruleCalendars(parsed, nowMs, comment);
      if (translated) return { mode: 'calendar', spec: { ...translated, timezone: t.timezone }, nextRuns };
      return { mode: 'occurrences', spec: occurrencesSpec(nextRuns(nowMs, FED_OCCURRENCES), t.timezone), nextRuns };
    }
    case 'at': {
      const at = Date.parse(t.expression);
      return { mode: 'calendar', spec: occurrencesSpec([at], t.timezone, 'herald at'), nextRuns: (after, n) => (at > after && n > 0 ? [at] : []) };
    }
  }
}

/** Exact instants as calendar entries in UTC (exact even across a daylight-saving change, where a local wall clock repeats). */
export function occurrencesSpec(instants: number[], zone: string, label = 'herald rrule occurrence'): ScheduleSpec {
  const calendars: CalendarSpec[] = instants.map((ms) => {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: (['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const)[d.getUTCMonth()],
      dayOfMonth: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      comment: `${label} ${DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })}`,
    };
  });
  return { calendars, timezone: 'UTC' };
}

/** The firing's time in the schedule's zone, ISO with offset (what a template sees as data.schedule.local_time). */
export function localTime(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).toISO({ suppressMilliseconds: true }) ?? iso;
}

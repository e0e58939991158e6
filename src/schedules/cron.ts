import type { CalendarSpec, DayOfWeek, LooseRange, Month } from '@temporalio/client';
import { DateTime } from 'luxon';

/** A cron expression that cannot be used; the message names the field. */
export class CronError extends Error {}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const TEMPORAL_MONTHS: Month[] = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const TEMPORAL_DAYS: DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Where names[0] sits (months count from 1). */
  nameBase?: number;
}

const FIELDS: FieldDef[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  // 7 is Sunday too, as in most crons.
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

/** A parsed 5-field cron: the values each field matches, and whether the day fields are restricted. */
export interface Cron {
  /** Only calendars translated from an RRULE have seconds; a cron fires at second 0. */
  seconds?: number[];
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
  /** Vixie cron: when both day fields are restricted (neither starts with `*` or is `?`), a day matches either. */
  domRestricted: boolean;
  dowRestricted: boolean;
}

/**
 * Parses a standard 5-field cron ("minute hour day-of-month month day-of-week", with `*`, lists,
 * ranges, steps, JAN–DEC and SUN–SAT names, `?` for "any" in a day field, and the @daily-style
 * macros). Seconds, years and the Quartz extensions (L, W, #) are refused: Herald translates the
 * cron into Temporal calendar specs itself, so it accepts only what it translates exactly.
 */
export function parseCron(expression: string): Cron {
  if (typeof expression !== 'string' || !expression.trim()) throw new CronError('cron must be a non-empty string such as "0 9 * * MON"');
  if (expression.length > 200) throw new CronError('cron must be at most 200 characters');
  let text = expression.trim();
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (!macro) throw new CronError(`cron macro ${JSON.stringify(text)} is not known (use one of ${Object.keys(MACROS).join(', ')})`);
    text = macro;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(`cron must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length} in ${JSON.stringify(expression)}`);
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]));
  const dow = [...new Set(sets[4].map((d) => (d === 7 ? 0 : d)))].sort((a, b) => a - b);
  const unrestricted = (part: string) => part.startsWith('*') || part === '?';
  const cron: Cron = {
    minutes: sets[0],
    hours: sets[1],
    daysOfMonth: sets[2],
    months: sets[3],
    daysOfWeek: dow,
    domRestricted: !unrestricted(parts[2]),
    dowRestricted: !unrestricted(parts[4]),
  };
  if (!nextCronRuns(cron, 'UTC', Date.UTC(2000, 0, 1), 1, 30).length) {
    throw new CronError(`cron ${JSON.stringify(expression)} never matches a date (such as 31 February)`);
  }
  return cron;
}

function parseField(part: string, def: FieldDef): number[] {
  const values = new Set<number>();
  const problem = (detail: string) => new CronError(`cron ${def.name} field ${JSON.stringify(part)}: ${detail}`);
  for (const item of part.split(',')) {
    const m = /^(\*|\?|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(item);
    if (!m) throw problem(`${JSON.stringify(item)} is not a value, range (a-b) or step (*/n)`);
    const [, first, last, stepText] = m;
    if (first === '?' && def.name !== 'day-of-month' && def.name !== 'day-of-week') throw problem('? is only allowed in the day fields');
    if ((first === '*' || first === '?') && last !== undefined) throw problem(`${JSON.stringify(item)} is not a range`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || step > def.max) throw problem(`step ${stepText} must be between 1 and ${def.max}`);
    let start: number;
    let end: number;
    if (first === '*' || first === '?') {
      start = def.min;
      end = def.name === 'day-of-week' ? 6 : def.max;
    } else {
      start = value(first, def, problem);
      // "5/15" means from 5 to the end in steps of 15.
      end = last !== undefined ? value(last, def, problem) : stepText !== undefined ? def.max : start;
      if (end < start) throw problem(`range ${first}-${last} runs backwards (wrap-around ranges are not supported; list both parts)`);
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function value(token: string, def: FieldDef, problem: (d: string) => CronError): number {
  let n: number;
  if (/^\d+$/.test(token)) n = Number(token);
  else {
    const index = def.names?.indexOf(token.toUpperCase()) ?? -1;
    if (index < 0) throw problem(`${JSON.stringify(token)} is not a number${def.names ? ` or a name (${def.names[0]}-${def.names[def.names.length - 1]})` : ''}`);
    n = index + (def.nameBase ?? 0);
  }
  if (n < def.min || n > def.max) throw problem(`${n} is out of range ${def.min}-${def.max}`);
  return n;
}

/** Compresses sorted values into contiguous ranges. */
function runs(values: number[]): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && last.end === v - 1) last.end = v;
    else out.push({ start: v, end: v });
  }
  return out;
}

const numberRanges = (values: number[], all: number): LooseRange<number>[] | '*' => (values.length === all ? '*' : runs(values));

/**
 * The Temporal calendar specs for a cron (their union is the cron): one, or two when both day
 * fields are restricted, since Temporal ANDs day-of-month and day-of-week (even for its own cron
 * strings) where cron ORs them.
 */
export function cronCalendars(cron: Cron, comment: string): CalendarSpec[] {
  const base: CalendarSpec = {
    second: 0,
    minute: numberRanges(cron.minutes, 60),
    hour: numberRanges(cron.hours, 24),
    month: cron.months.length === 12 ? '*' : runs(cron.months).map((r) => ({ start: TEMPORAL_MONTHS[r.start - 1], end: TEMPORAL_MONTHS[r.end - 1] })),
    comment,
  } as CalendarSpec;
  const dom = numberRanges(cron.daysOfMonth, 31);
  const dow: CalendarSpec['dayOfWeek'] = cron.daysOfWeek.length === 7 ? '*' : runs(cron.daysOfWeek).map((r) => ({ start: TEMPORAL_DAYS[r.start], end: TEMPORAL_DAYS[r.end] }));
  if (cron.domRestricted && cron.dowRestricted) {
    return [
      { ...base, dayOfMonth: dom, dayOfWeek: '*', comment: `${comment} (by day of month)` },
      { ...base, dayOfMonth: '*', dayOfWeek: dow, comment: `${comment} (by day of week)` },
    ];
  }
  return [{ ...base, dayOfMonth: dom, dayOfWeek: dow }];
}

/**
 * The next `count` instants after `afterMs` at which the cron fires in `zone` (the same reading
 * Temporal gives the calendars above): used when Temporal cannot be asked, and to reject a
 * cron that never fires. Looks at most `years` ahead.
 */
export function nextCronRuns(cron: Cron, zone: string, afterMs: number, count: number, years = 30): number[] {
  const out = new Set<number>();
  const start = DateTime.fromMillis(afterMs, { zone });
  // Days walk in "floating" UTC (the local calendar date), so no time zone maths per day.
  let day = Date.UTC(start.year, start.month - 1, start.day);
  const lastDay = day + years * 366 * 86_400_000;
  const months = new Set(cron.months);
  const doms = new Set(cron.daysOfMonth);
  const dows = new Set(cron.daysOfWeek);
  for (; day <= lastDay && out.size < count; day += 86_400_000) {
    const d = new Date(day);
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const domOk = doms.has(d.getUTCDate());
    const dowOk = dows.has(d.getUTCDay());
    if (!(cron.domRestricted && cron.dowRestricted ? domOk || dowOk : domOk && dowOk)) continue;
    const seconds = cron.seconds ?? [0];
    hours: for (const hour of cron.hours) {
      for (const minute of cron.minutes) {
        for (const second of seconds) {
          const at = DateTime.fromObject({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour, minute, second }, { zone });
          const ms = at.toMillis();
          if (ms > afterMs) out.add(ms);
          if (out.size >= count) break hours;
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b).slice(0, count);
}

import type { CalendarSpec, DayOfWeek, Month } from '@temporalio/client';
import { DateTime } from 'luxon';
import { Frequency, Options, RRule, Weekday } from 'rrule';

/** The rule's options after the library filled in what DTSTART supplies. */
type ParsedOptions = RRule['options'];
import { Cron, nextCronRuns } from './cron';
import { isTimeZone } from '../common/time/delivery-window';

/** An RRULE that cannot be used; the message names the part. */
export class RRuleError extends Error {}

const TEMPORAL_MONTHS: Month[] = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
/** rrule numbers weekdays from Monday (0) to Sunday (6). */
const RRULE_DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const TEMPORAL_DAYS_FROM_MONDAY: DayOfWeek[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const FREQUENCIES: Record<string, Frequency> = {
  YEARLY: Frequency.YEARLY,
  MONTHLY: Frequency.MONTHLY,
  WEEKLY: Frequency.WEEKLY,
  DAILY: Frequency.DAILY,
  HOURLY: Frequency.HOURLY,
  MINUTELY: Frequency.MINUTELY,
};
const NUMBER_LISTS: Record<string, { key: keyof Options; min: number; max: number; signed?: boolean }> = {
  BYSECOND: { key: 'bysecond', min: 0, max: 59 },
  BYMINUTE: { key: 'byminute', min: 0, max: 59 },
  BYHOUR: { key: 'byhour', min: 0, max: 23 },
  BYMONTH: { key: 'bymonth', min: 1, max: 12 },
  BYMONTHDAY: { key: 'bymonthday', min: 1, max: 31, signed: true },
  BYYEARDAY: { key: 'byyearday', min: 1, max: 366, signed: true },
  BYWEEKNO: { key: 'byweekno', min: 1, max: 53, signed: true },
  BYSETPOS: { key: 'bysetpos', min: 1, max: 366, signed: true },
};

/** A parsed RRULE, evaluated in "floating" time: a Date whose UTC fields are the wall clock in `zone`. */
export interface ParsedRRule {
  rule: RRule;
  zone: string;
  /** The zone a DTSTART;TZID= line named, if any. */
  dtstartZone: string | null;
  /** Whether the rule said its own DTSTART (else the schedule's anchor was used). */
  explicitStart: boolean;
}

/**
 * Parses an RFC 5545 RRULE ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", with or without the
 * "RRULE:" prefix), optionally after a DTSTART line (`DTSTART:20250106T090000` in the schedule's
 * zone, `...Z` in UTC, or `DTSTART;TZID=Europe/Oslo:...`). Every part is checked here, so a bad
 * rule is a 400 naming the part (the rrule library accepts some nonsense silently). Without a
 * DTSTART, `anchorMs` (when the schedule was created) supplies what the rule leaves out, as RFC
 * 5545 has DTSTART do: "FREQ=DAILY" fires daily at the anchor's time of day.
 */
export function parseRRule(text: string, zone: string | null, anchorMs: number): ParsedRRule {
  if (typeof text !== 'string' || !text.trim()) throw new RRuleError('rrule must be a non-empty string such as "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"');
  if (text.length > 1000) throw new RRuleError('rrule must be at most 1000 characters');
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  let dtstartLine: string | null = null;
  let ruleLine: string | null = null;
  for (const line of lines) {
    if (/^DTSTART[;:]/i.test(line)) {
      if (dtstartLine) throw new RRuleError('rrule has more than one DTSTART line');
      dtstartLine = line;
    } else if (/^RRULE:/i.test(line) || /^FREQ=|^[A-Z]+=/i.test(line)) {
      if (ruleLine) throw new RRuleError('rrule must hold one RRULE (RDATE, EXDATE and several RRULEs are not supported)');
      ruleLine = line.replace(/^RRULE:/i, '');
    } else {
      throw new RRuleError(`rrule line ${JSON.stringify(line.slice(0, 80))} is not supported (give one RRULE, optionally after a DTSTART line)`);
    }
  }
  if (!ruleLine) throw new RRuleError('rrule needs an RRULE line such as "FREQ=DAILY;BYHOUR=9"');

  let dtstartZone: string | null = null;
  let dtstart: Date | null = null;
  if (dtstartLine) {
    const m = /^DTSTART(?:;TZID=([^:;]+))?:(\d{8}T\d{6}Z?)$/i.exec(dtstartLine);
    if (!m) throw new RRuleError('rrule DTSTART must look like DTSTART:20250106T090000 (the schedule\'s time zone), DTSTART:20250106T080000Z or DTSTART;TZID=Europe/Oslo:20250106T090000');
    if (m[1]) {
      if (!isTimeZone(m[1])) throw new RRuleError(`rrule DTSTART TZID ${JSON.stringify(m[1])} is not an IANA time zone`);
      if (zone && zone !== m[1]) throw new RRuleError(`rrule DTSTART TZID ${m[1]} differs from timezone ${zone}: give one`);
      dtstartZone = m[1];
    }
    zone = zone ?? dtstartZone;
    dtstart = icalDate(m[2], zone ?? 'UTC', 'DTSTART');
  }
  const effectiveZone = zone ?? 'UTC';
  if (!dtstart) {
    const anchor = DateTime.fromMillis(anchorMs, { zone: effectiveZone }).startOf('minute');
    dtstart = floating(anchor);
  }

  const options: Partial<Options> = { dtstart, wkst: 0 };
  const seen = new Set<string>();
  for (const part of ruleLine.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (seen.has(key)) throw new RRuleError(`rrule ${key} is given twice`);
    seen.add(key);
    if (!value) throw new RRuleError(`rrule ${key} has no value`);
    switch (key) {
      case 'FREQ': {
        const freq = FREQUENCIES[value.toUpperCase()];
        if (freq === undefined) {
          throw new RRuleError(value.toUpperCase() === 'SECONDLY' ? 'rrule FREQ=SECONDLY is not supported (at most every minute)' : `rrule FREQ must be one of ${Object.keys(FREQUENCIES).join(', ')}`);
        }
        options.freq = freq;
        break;
      }
      case 'INTERVAL':
        options.interval = positive(value, 'INTERVAL', 10_000);
        break;
      case 'COUNT':
        // The rrule library walks from DTSTART through every counted occurrence: keep that cheap.
        options.count = positive(value, 'COUNT', 10_000);
        break;
      case 'UNTIL':
        options.until = icalDate(/^\d{8}$/.test(value) ? `${value}T235959` : value, effectiveZone, 'UNTIL');
        break;
      case 'WKST': {
        const day = RRULE_DAYS.indexOf(value.toUpperCase());
        if (day < 0) throw new RRuleError(`rrule WKST must be one of ${RRULE_DAYS.join(', ')}`);
        options.wkst = day;
        break;
      }
      case 'BYDAY':
        options.byweekday = value.split(',').map((item) => {
          const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/i.exec(item.trim());
          if (!m) throw new RRuleError(`rrule BYDAY ${JSON.stringify(item)} must be a weekday (MO..SU), optionally with a position such as 1MO or -1FR`);
          const day = new Weekday(RRULE_DAYS.indexOf(m[2].toUpperCase()));
          if (m[1] === undefined) return day;
          const n = Number(m[1]);
          if (n === 0 || Math.abs(n) > 53) throw new RRuleError(`rrule BYDAY position in ${JSON.stringify(item)} must be 1..53 or -53..-1`);
          return day.nth(n);
        });
        break;
      default: {
        const list = NUMBER_LISTS[key];
        if (!list) throw new RRuleError(`rrule part ${JSON.stringify(key)} is not supported`);
        (options as Record<string, unknown>)[list.key] = value.split(',').map((item) => {
          if (!/^[+-]?\d{1,4}$/.test(item.trim())) throw new RRuleError(`rrule ${key} value ${JSON.stringify(item)} is not a number`);
          const n = Number(item);
          const ok = list.signed ? n !== 0 && Math.abs(n) >= list.min && Math.abs(n) <= list.max : n >= list.min && n <= list.max;
          if (!ok) throw new RRuleError(`rrule ${key} value ${n} is out of range ${list.signed ? `${list.min}..${list.max} or -${list.max}..-${list.min}` : `${list.min}..${list.max}`}`);
          return n;
        });
      }
    }
  }
  if (options.freq === undefined) throw new RRuleError('rrule needs FREQ (YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY or MINUTELY)');
  if (options.count != null && options.until != null) throw new RRuleError('rrule may have COUNT or UNTIL, not both');
  const positioned = Array.isArray(options.byweekday) && options.byweekday.some((d) => d instanceof Weekday && d.n);
  if (positioned && options.freq !== Frequency.MONTHLY && options.freq !== Frequency.YEARLY) {
    throw new RRuleError('rrule BYDAY with a position (such as 1MO) needs FREQ=MONTHLY or FREQ=YEARLY');
  }
  if (options.byweekno && options.freq !== Frequency.YEARLY) throw new RRuleError('rrule BYWEEKNO needs FREQ=YEARLY');
  if (options.byyearday && [Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY].includes(options.freq)) throw new RRuleError('rrule BYYEARDAY is not allowed with FREQ=MONTHLY, WEEKLY or DAILY');
  if (options.bymonthday && options.freq === Frequency.WEEKLY) throw new RRuleError('rrule BYMONTHDAY is not allowed with FREQ=WEEKLY');
  let rule: RRule;
  try {
    rule = new RRule(options);
  } catch (err) {
    throw new RRuleError(`rrule is not valid: ${(err as Error).message}`);
  }
  checkCanMatch(rule);
  return { rule, zone: effectiveZone, dtstartZone, explicitStart: Boolean(dtstartLine) };
}

/**
 * Refuses rules that can never produce an occurrence (the rrule library would walk to year 9999
 * looking for one, seconds of CPU in a request): day filters no date satisfies, a BYSETPOS past
 * the end of every period's set, a DAILY interval of whole weeks that never lands on BYDAY.
 */
function checkCanMatch(rule: RRule): void {
  const o = rule.options;
  const never = (why: string) => new RRuleError(`rrule never matches: ${why}`);
  if (!empty(o.bysetpos) && (o.freq === Frequency.HOURLY || o.freq === Frequency.MINUTELY)) throw new RRuleError('rrule BYSETPOS needs FREQ=DAILY or longer');
  const times = (o.byhour?.length ?? 24) * (o.byminute?.length ?? 60) * (o.bysecond?.length ?? 60);
  const setSize = o.freq === Frequency.DAILY ? times : o.freq === Frequency.WEEKLY ? (o.byweekday?.length ?? 7) * times : Infinity;
  if (!empty(o.bysetpos) && o.bysetpos.every((p) => Math.abs(p) > setSize)) throw never(`BYSETPOS is past the ${setSize} occurrence(s) each period has`);
  if (o.freq === Frequency.DAILY && o.interval % 7 === 0 && !empty(o.byweekday) && !o.byweekday.includes(weekdayOf(o.dtstart))) {
    throw never(`every ${o.interval} days from DTSTART is always a ${RRULE_DAYS[weekdayOf(o.dtstart)]}, which BYDAY leaves out`);
  }
  if (!empty(o.bynweekday) || !empty(o.byweekno)) return; // positions: the library's own (cheap) monthly/yearly walk decides
  const start = Date.UTC(o.dtstart.getUTCFullYear(), o.dtstart.getUTCMonth(), o.dtstart.getUTCDate());
  for (let day = start, end = start + 30 * 366 * 86_400_000; day <= end; day += 86_400_000) if (dayMatches(new Date(day), o)) return;
  throw never('no date has the month, day of month, day of year and weekday it asks for');
}

const empty = (a: unknown[] | null | undefined): boolean => !a || a.length === 0;

/** rrule's weekday numbering (Monday 0) of a floating date. */
const weekdayOf = (d: Date): number => (d.getUTCDay() + 6) % 7;

/** Whether a floating date passes the rule's day-level limits (BYMONTH, BYMONTHDAY, BYYEARDAY, plain BYDAY). */
function dayMatches(d: Date, o: ParsedOptions): boolean {
  if (!empty(o.bymonth) && !o.bymonth.includes(d.getUTCMonth() + 1)) return false;
  if (!empty(o.byweekday) && !o.byweekday.includes(weekdayOf(d))) return false;
  if (!empty(o.bymonthday) || !empty(o.bynmonthday)) {
    const dim = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    if (!o.bymonthday.includes(d.getUTCDate()) && !(o.bynmonthday ?? []).includes(d.getUTCDate() - dim - 1)) return false;
  }
  if (!empty(o.byyearday)) {
    const year = d.getUTCFullYear();
    const ordinal = Math.round((d.getTime() - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
    const length = (Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / 86_400_000;
    if (!o.byyearday.includes(ordinal) && !o.byyearday.includes(ordinal - length - 1)) return false;
  }
  return true;
}

function positive(value: string, key: string, max: number): number {
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max) throw new RRuleError(`rrule ${key} must be a whole number from 1 to ${max}`);
  return Number(value);
}

/** An iCalendar date-time as a floating date in `zone` (a trailing Z is a UTC instant, moved into the zone). */
function icalDate(value: string, zone: string, what: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i.exec(value);
  if (!m) throw new RRuleError(`rrule ${what} must look like 20250106T090000 (or ...Z for UTC)`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1900) throw new RRuleError(`rrule ${what} ${value} is before 1900`);
  const dt = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: m[7] ? 'UTC' : zone });
  if (!dt.isValid || dt.month !== month || dt.day !== day || hour > 23 || minute > 59 || second > 59) throw new RRuleError(`rrule ${what} ${value} is not a real date and time`);
  return floating(m[7] ? dt.setZone(zone) : dt);
}

/** The wall clock of `dt` as a Date whose UTC fields hold it. */
function floating(dt: DateTime): Date {
  return new Date(Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second));
}

/** The instant a floating date names in `zone` (a time in a spring-forward gap moves forward, as Temporal does). */
function instant(d: Date, zone: string): number {
  return DateTime.fromObject(
    { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() },
    { zone },
  ).toMillis();
}

/** Whether Temporal calendar specs say exactly what the rule says (then Temporal evaluates it). */
function translatable(o: ParsedOptions): boolean {
  return o.interval === 1 && o.count == null && empty(o.bysetpos) && empty(o.byyearday) && empty(o.byweekno) && empty(o.bynweekday) && empty(o.bynmonthday) && o.byeaster == null;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The next `count` occurrences strictly after `afterMs`, as instants. A translatable rule is read
 * as the calendar Temporal gets (so Herald and Temporal agree); a sub-daily one by Herald's own
 * walk (the rrule library skips days wrongly for MINUTELY with BYHOUR and day limits); the rest
 * by the rrule library, its start first moved forward by whole periods when it lies far back.
 */
export function nextRRuleRuns(parsed: ParsedRRule, afterMs: number, count: number): number[] {
  const o = parsed.rule.options;
  const zone = parsed.zone;
  const start = instant(o.dtstart, zone);
  const end = o.until ? instant(o.until, zone) : Infinity;
  if (translatable(o)) {
    const calendar: Cron = {
      seconds: empty(o.bysecond) ? range(0, 59) : [...o.bysecond].sort((a, b) => a - b),
      minutes: empty(o.byminute) ? range(0, 59) : [...o.byminute].sort((a, b) => a - b),
      hours: empty(o.byhour) ? range(0, 23) : [...o.byhour].sort((a, b) => a - b),
      daysOfMonth: empty(o.bymonthday) ? range(1, 31) : o.bymonthday,
      months: empty(o.bymonth) ? range(1, 12) : o.bymonth,
      // rrule counts weekdays from Monday (0), cron from Sunday (0).
      daysOfWeek: empty(o.byweekday) ? range(0, 6) : o.byweekday.map((d) => (d + 1) % 7),
      domRestricted: false,
      dowRestricted: false,
    };
    return nextCronRuns(calendar, zone, Math.max(afterMs, start - 1), count).filter((ms) => ms <= end);
  }
  const after = floating(DateTime.fromMillis(afterMs, { zone }));
  let found: Date[];
  if (o.freq === Frequency.HOURLY || o.freq === Frequency.MINUTELY) found = subDaily(o, after.getTime(), count, after.getTime() + 8 * 366 * 86_400_000);
  else {
    const rule = fastForward(parsed.rule, after);
    found = rule.between(after, new Date(after.getTime() + 200 * 366 * 86_400_000), false, (_d, len) => len < count);
  }
  return [...new Set(found.map((d) => instant(d, zone)))].filter((ms) => ms > afterMs).slice(0, count);
}

/**
 * HOURLY and MINUTELY occurrences in floating time: every INTERVAL hours (minutes) from DTSTART,
 * limited by the day limits and BYHOUR (and BYMINUTE), expanded by BYMINUTE/BYSECOND (BYSECOND);
 * COUNT counts from DTSTART. Days (and, minutely, hours) that do not match are jumped over.
 */
function subDaily(o: ParsedOptions, afterFloat: number, count: number, horizonFloat: number): Date[] {
  const unit = o.freq === Frequency.HOURLY ? 3_600_000 : 60_000;
  const step = unit * o.interval;
  const start = o.dtstart.getTime();
  const base = start - (start % unit);
  const until = o.until ? o.until.getTime() : Infinity;
  const offsets = o.freq === Frequency.HOURLY
    ? (o.byminute ?? []).flatMap((m) => (o.bysecond ?? []).map((sec) => m * 60_000 + sec * 1000))
    : (o.bysecond ?? []).map((sec) => sec * 1000);
  offsets.sort((a, b) => a - b);
  const out: Date[] = [];
  let produced = 0;
  // Without COUNT nothing before `after` matters: start one step before it.
  let k = o.count == null ? Math.max(0, Math.floor((afterFloat - base) / step) - 1) : 0;
  const jumpTo = (floatMs: number) => { k = Math.max(k + 1, Math.ceil((floatMs - base) / step)); };
  for (;;) {
    const p = base + k * step;
    if (p > horizonFloat || p > until) return out;
    const d = new Date(p);
    if (!dayMatches(d, o)) { jumpTo(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)); continue; }
    if (!empty(o.byhour) && !o.byhour.includes(d.getUTCHours())) { jumpTo(p - (p % 3_600_000) + 3_600_000); continue; }
    if (o.freq === Frequency.MINUTELY && !empty(o.byminute) && !o.byminute.includes(d.getUTCMinutes())) { k++; continue; }
    for (const offset of offsets) {
      const t = p + offset;
      if (t < start) continue;
      if (t > until) return out;
      produced++;
      if (t > afterFloat) out.push(new Date(t));
      if (out.length >= count || (o.count != null && produced >= o.count)) return out;
    }
    k++;
  }
}

const PERIOD_MS: Partial<Record<Frequency, number>> = {
  [Frequency.WEEKLY]: 7 * 86_400_000,
  [Frequency.DAILY]: 86_400_000,
};

function fastForward(rule: RRule, after: Date): RRule {
  const o = rule.options;
  const period = PERIOD_MS[o.freq];
  if (!period || o.count != null) return rule;
  const step = period * o.interval;
  const behind = Math.floor((after.getTime() - o.dtstart.getTime()) / step) - 1;
  if (behind < 1000) return rule;
  // Floating time has no daylight saving: whole periods keep the time of day, weekday and phase.
  return new RRule({ ...rule.origOptions, dtstart: new Date(o.dtstart.getTime() + behind * step) });
}

/**
 * The rule as Temporal calendar specs in its zone, when Temporal's calendars say exactly what
 * the rule says: INTERVAL 1, no COUNT, no positions (BYSETPOS, 1MO, negative month days), no
 * BYYEARDAY or BYWEEKNO. DTSTART and UNTIL become the spec's startAt and endAt. Otherwise null:
 * the schedule is fed computed occurrences instead.
 */
export function rruleCalendars(parsed: ParsedRRule, nowMs: number, comment: string): { calendars: CalendarSpec[]; startAt?: Date; endAt?: Date } | null {
  const o = parsed.rule.options;
  if (!translatable(o)) return null;
  const list = <T>(values: number[] | null, map: (n: number) => T): T[] | '*' => (empty(values) ? '*' : [...new Set(values!)].sort((a, b) => a - b).map(map));
  const calendar: CalendarSpec = {
    second: list(o.bysecond, (n) => n),
    minute: list(o.byminute, (n) => n),
    hour: list(o.byhour, (n) => n),
    dayOfMonth: list(o.bymonthday, (n) => n),
    month: list(o.bymonth, (n) => TEMPORAL_MONTHS[n - 1]),
    dayOfWeek: list(o.byweekday, (n) => TEMPORAL_DAYS_FROM_MONDAY[n]),
    comment,
  };
  const start = instant(o.dtstart, parsed.zone);
  return {
    calendars: [calendar],
    ...(start > nowMs ? { startAt: new Date(start) } : {}),
    ...(o.until ? { endAt: new Date(instant(o.until, parsed.zone)) } : {}),
  };
}

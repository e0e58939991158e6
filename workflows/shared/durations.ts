import ms from 'ms';

export class DurationError extends Error {
  name = 'DurationError';
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// ISO-8601 years and months have no fixed length; a timer needs one, so a year is 365 days and a
// month 30 days (use `until` for calendar-exact times).
const ISO_UNITS = { Y: 365 * DAY, M: 30 * DAY, W: 7 * DAY, D: DAY, H: HOUR, TM: MINUTE, S: SECOND };
const NUM = '(\\d+(?:[.,]\\d+)?)';
const ISO = new RegExp(`^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`, 'i');

const EXAMPLES = 'e.g. "5 minutes", "2 days", "90s" or ISO-8601 "PT5M"';

function show(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (typeof input === 'number' || typeof input === 'boolean' || input === null || input === undefined) return String(input);
  return `a value of type ${Array.isArray(input) ? 'array' : typeof input}`;
}

function parseIso(text: string): number | undefined {
  const m = ISO.exec(text);
  // "P" and "PT" match the pattern with no component, and "PT" needs at least one time component.
  if (!m || m.slice(1).every((g) => g === undefined) || /T$/i.test(text)) return undefined;
  const weights = [ISO_UNITS.Y, ISO_UNITS.M, ISO_UNITS.W, ISO_UNITS.D, ISO_UNITS.H, ISO_UNITS.TM, ISO_UNITS.S];
  return m.slice(1).reduce((sum, g, i) => (g === undefined ? sum : sum + Number(g.replace(',', '.')) * weights[i]), 0);
}

/**
 * A positive duration in milliseconds: a number of milliseconds, a human string read by `ms`
 * ("5 minutes", "1.5 hours"; note `ms` counts a year as 365.25 days) or an ISO-8601 duration.
 */
export function parseDuration(input: unknown): number {
  let value: number | undefined;
  if (typeof input === 'number') value = input;
  else if (typeof input === 'string') {
    const text = input.trim();
    if (/^P/i.test(text)) value = parseIso(text);
    else if (text !== '') value = ms(text as ms.StringValue) as number | undefined;
    // Strings resolve to whole milliseconds, so replay and save-time checks agree exactly.
    if (value !== undefined) value = Math.round(value);
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DurationError(`invalid duration ${show(input)}: expected a positive duration, ${EXAMPLES}`);
  }
  return value;
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

const daysInMonth = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/**
 * Epoch ms of an ISO-8601 timestamp. Parsed here rather than by Date.parse, which reads a time
 * without an offset as host-local time: replay on a host in another zone would diverge, so a
 * missing offset means UTC. Out-of-range fields (Feb 30, 24:00) are refused, not rolled over.
 */
function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((g) => (g === undefined ? undefined : Number(g)));
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!) || hour! > 23 || minute! > 59 || second! > 59) {
    return undefined;
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offset = 0;
  if (m[8] !== undefined && m[8].toUpperCase() !== 'Z') {
    const digits = m[8].slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || '0')];
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * HOUR + om * MINUTE);
  }
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis) - offset;
}

/** Whether `text` is an ISO-8601 date or date-time `untilToDelayMs` accepts (else it may be a delivery window). */
export function isTimestampText(text: unknown): boolean {
  return typeof text === 'string' && parseTimestamp(text.trim()) !== undefined;
}

/** Milliseconds from `nowMs` until the ISO-8601 timestamp `until` (which must include a date); 0 if it has passed. */
export function untilToDelayMs(until: unknown, nowMs: number): number {
  const at = typeof until === 'string' ? parseTimestamp(until.trim()) : undefined;
  if (at === undefined || !Number.isFinite(at)) {
    throw new DurationError(
      `invalid timestamp ${show(until)}: expected an ISO-8601 date or date-time, e.g. "2030-01-31" or "2030-01-31T09:00:00Z"`,
    );
  }
  return Math.max(0, at - nowMs);
}

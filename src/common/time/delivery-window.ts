import { DateTime, IANAZone } from 'luxon';
import OpeningHours from 'opening_hours';
import { useDeliveryWindowCheck } from '../../../workflows/shared/step-schema';

/**
 * Delivery windows in the opening-hours grammar ("Mo-Fr 08:00-16:30", "Mo 09:00-12:00,
 * 14:00-18:00"), read by the `opening_hours` library and evaluated in a recipient's IANA time
 * zone by luxon, so daylight-saving changes come from the time zone database.
 *
 * `opening_hours` reads dates through the host's local time; Herald's processes run in UTC
 * (main.ts and the jest configs set TZ), so a Date whose UTC fields are the zone's wall clock
 * is that wall clock to the library. The next opening it finds is a wall-clock time, turned back
 * into an instant in the zone as RFC 5545 and TC39 Temporal's "compatible" rule do: a time that
 * does not exist on a spring-forward day moves forward by the gap (02:30 becomes 03:30), and a
 * time that happens twice on a fall-back day is its first occurrence.
 */

export class WindowError extends Error {
  name = 'WindowError';
}

const MAX_LENGTH = 500;
/** Solar times and holidays need a location and a country, which a window has not got. */
const NEEDS_LOCATION = /\b(sunrise|sunset|dawn|dusk|PH|SH)\b/i;
/** How far ahead a window's next opening is looked for. */
const HORIZON_MS = 5 * 366 * 24 * 3600 * 1000;

const parsed = new Map<string, OpeningHours>();

function hostIsUtc(): boolean {
  return new Date(2000, 0, 1).getTimezoneOffset() === 0 && new Date(2000, 6, 1).getTimezoneOffset() === 0;
}

function windowOf(text: string): OpeningHours {
  const hit = parsed.get(text);
  if (hit) return hit;
  const problem = windowProblem(text);
  if (problem) throw new WindowError(problem);
  const value = new OpeningHours(text, null);
  if (parsed.size > 1000) parsed.clear();
  parsed.set(text, value);
  return value;
}

/** Why `text` is not a delivery window, or null when it is one. */
export function windowProblem(text: unknown): string | null {
  if (typeof text !== 'string' || !text.trim()) return 'a delivery window must be a non-empty opening-hours string such as "Mo-Fr 08:00-16:30"';
  if (text.length > MAX_LENGTH) return `a delivery window is at most ${MAX_LENGTH} characters`;
  if (NEEDS_LOCATION.test(text)) return 'a delivery window cannot use sunrise, sunset, dawn, dusk or holidays (PH, SH): they need a location';
  try {
    new OpeningHours(text, null);
    return null;
  } catch (err) {
    const detail = String((err as Error)?.message ?? err).replace(/\s+/g, ' ').trim().slice(0, 200);
    return `invalid delivery window ${JSON.stringify(text.slice(0, 100))}: ${detail} (expected opening hours such as "Mo-Fr 08:00-16:30" or "Mo 09:00-12:00, 14:00-18:00")`;
  }
}

/** Whether `zone` is an IANA time zone name luxon knows ("Europe/Oslo"). */
export function isTimeZone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone.length <= 64 && IANAZone.isValidZone(zone);
}

/** The first candidate that is a valid IANA zone, else UTC. */
export function firstTimeZone(...candidates: unknown[]): string {
  for (const c of candidates) if (isTimeZone(c)) return c;
  return 'UTC';
}

/**
 * The first instant at or after `nowMs` that lies inside `window` in `zone`: `nowMs` itself when
 * the window is open, else its next opening. Throws WindowError when it never opens again.
 */
export function nextOpening(window: string, zone: string, nowMs: number): number {
  if (!hostIsUtc()) throw new Error('delivery windows are evaluated in a UTC process: start Herald with TZ=UTC');
  if (!isTimeZone(zone)) throw new WindowError(`unknown time zone ${JSON.stringify(zone)}`);
  const hours = windowOf(window);
  const wall = DateTime.fromMillis(nowMs, { zone });
  const floating = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond));
  if (hours.getState(floating)) return nowMs;
  const next = hours.getNextChange(floating, new Date(floating.getTime() + HORIZON_MS));
  if (!next) throw new WindowError(`the delivery window ${JSON.stringify(window.slice(0, 100))} does not open again`);
  const fields = { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: next.getUTCHours(), minute: next.getUTCMinutes(), second: next.getUTCSeconds() };
  let at = DateTime.fromObject(fields, { zone }).toMillis();
  // luxon resolves a repeated wall time to its later occurrence; the first one is earlier by the shift (30 or 60 minutes).
  for (const shift of [60, 30]) {
    const earlier = DateTime.fromMillis(at - shift * 60_000, { zone });
    if (earlier.hour === fields.hour && earlier.minute === fields.minute && earlier.day === fields.day) {
      at = earlier.toMillis();
      break;
    }
  }
  return Math.max(at, nowMs);
}

// Steps saved through the API get their windows checked with the grammar (see step-schema.ts).
useDeliveryWindowCheck(windowProblem);

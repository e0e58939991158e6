import { firstTimeZone, nextOpening, windowProblem } from '../../src/common/time/delivery-window';

const at = (window: string, zone: string, now: string) => new Date(nextOpening(window, zone, Date.parse(now))).toISOString();

describe('delivery windows (opening hours in the recipient zone)', () => {
  it('is now when the window is open, else its next opening', () => {
    // Wednesday 2 December 2026, 10:00 in Oslo (CET, UTC+1).
    expect(at('Mo-Fr 08:00-16:30', 'Europe/Oslo', '2026-12-02T09:00:00Z')).toBe('2026-12-02T09:00:00.000Z');
    expect(at('Mo-Fr 08:00-16:30', 'Europe/Oslo', '2026-12-02T16:00:00Z')).toBe('2026-12-03T07:00:00.000Z');
    expect(at('Mo 09:00-12:00, 14:00-18:00', 'Europe/Oslo', '2026-12-07T11:30:00Z')).toBe('2026-12-07T13:00:00.000Z');
    expect(at('Mo 09:00-12:00, 14:00-18:00', 'America/New_York', '2026-12-07T18:00:00Z')).toBe('2026-12-07T19:00:00.000Z');
    // Overnight windows wrap past midnight.
    expect(at('Mo-Su 21:00-06:00', 'Asia/Tokyo', '2026-12-02T03:00:00Z')).toBe('2026-12-02T12:00:00.000Z');
  });

  it('follows Europe/Oslo across the last Sunday of March (CET to CEST)', () => {
    // Saturday 27 March 2027 13:00 CET; the clocks go forward on Sunday the 28th at 02:00.
    expect(at('Mo-Fr 08:00-16:30', 'Europe/Oslo', '2027-03-27T12:00:00Z')).toBe('2027-03-29T06:00:00.000Z'); // 08:00 CEST
    // 02:30 does not exist on the 28th: it moves forward by the gap, to 03:30 CEST (RFC 5545, TC39 Temporal "compatible").
    expect(at('Su 02:30-04:00', 'Europe/Oslo', '2027-03-27T12:00:00Z')).toBe('2027-03-28T01:30:00.000Z');
    expect(at('Su 08:00-09:00', 'Europe/Oslo', '2027-03-27T12:00:00Z')).toBe('2027-03-28T06:00:00.000Z');
  });

  it('follows Europe/Oslo across the last Sunday of October (CEST to CET)', () => {
    // Saturday 30 October 2027 14:00 CEST; the clocks go back on Sunday the 31st at 03:00.
    expect(at('Mo-Fr 08:00-16:30', 'Europe/Oslo', '2027-10-30T12:00:00Z')).toBe('2027-11-01T07:00:00.000Z'); // 08:00 CET
    expect(at('Su 08:00-09:00', 'Europe/Oslo', '2027-10-30T12:00:00Z')).toBe('2027-10-31T07:00:00.000Z');
    // 02:30 happens twice: the first one (CEST, 00:30Z).
    expect(at('Su 02:30-04:00', 'Europe/Oslo', '2027-10-30T12:00:00Z')).toBe('2027-10-31T00:30:00.000Z');
  });

  it('names what is wrong with a window, and refuses windows that never open again', () => {
    expect(windowProblem('Mo-Fr 08:00-16:30')).toBeNull();
    expect(windowProblem('garbage')).toMatch(/invalid delivery window "garbage"/);
    expect(windowProblem('')).toMatch(/non-empty/);
    expect(windowProblem(42)).toMatch(/non-empty opening-hours string/);
    expect(windowProblem('sunrise-sunset')).toMatch(/need a location/);
    expect(windowProblem('Mo-Fr 08:00-16:30; PH off')).toMatch(/need a location/);
    expect(windowProblem('x'.repeat(600))).toMatch(/at most 500/);
    expect(() => nextOpening('2020 Jan 01 08:00-09:00', 'UTC', Date.parse('2026-12-02T00:00:00Z'))).toThrow(/does not open again/);
    expect(() => nextOpening('off', 'UTC', Date.parse('2026-12-02T00:00:00Z'))).toThrow(/does not open again/);
    expect(() => nextOpening('Mo-Fr 08:00-16:30', 'Mars/Olympus', 0)).toThrow(/unknown time zone/);
  });

  it('takes the first valid zone of the candidates, else UTC', () => {
    expect(firstTimeZone(undefined, 'Not/AZone', 42, 'Europe/Oslo', 'Asia/Tokyo')).toBe('Europe/Oslo');
    expect(firstTimeZone(null, '')).toBe('UTC');
  });
});

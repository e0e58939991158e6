import { nextCronRuns, parseCron } from '../../src/schedules/cron';
import { nextRRuleRuns, parseRRule } from '../../src/schedules/rrule';
import { planTiming, TimingError } from '../../src/schedules/schedule-plan';

const iso = (ms: number[]) => ms.map((m) => new Date(m).toISOString().replace('.000Z', 'Z'));
const NOW = Date.parse('2026-12-02T06:00:00Z');

describe('cron (Herald reads it as the Temporal calendars it gives)', () => {
  it('runs in the zone, across daylight saving', () => {
    // Oslo: CET (UTC+1) until the last Sunday of March 2027, then CEST (UTC+2).
    expect(iso(nextCronRuns(parseCron('0 9 * * MON'), 'Europe/Oslo', Date.parse('2027-03-15T00:00:00Z'), 3))).toEqual(['2027-03-15T08:00:00Z', '2027-03-22T08:00:00Z', '2027-03-29T07:00:00Z']);
    expect(iso(nextCronRuns(parseCron('*/20 23 * * *'), 'Asia/Tokyo', NOW, 3))).toEqual(['2026-12-02T14:00:00Z', '2026-12-02T14:20:00Z', '2026-12-02T14:40:00Z']);
  });

  it('matches either day field when both are restricted, both when one starts with *', () => {
    expect(iso(nextCronRuns(parseCron('0 9 1 * FRI'), 'UTC', NOW, 3))).toEqual(['2026-12-04T09:00:00Z', '2026-12-11T09:00:00Z', '2026-12-18T09:00:00Z']);
    expect(iso(nextCronRuns(parseCron('0 9 */2 * FRI'), 'UTC', NOW, 2))).toEqual(['2026-12-11T09:00:00Z', '2026-12-25T09:00:00Z']);
  });

  it('accepts names, 7 for Sunday and macros; refuses what it does not translate exactly', () => {
    expect(parseCron('0 0 * jan-mar sun').daysOfWeek).toEqual([0]);
    expect(parseCron('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseCron('@hourly').minutes).toEqual([0]);
    for (const [bad, message] of [
      ['0 0 L * *', /day-of-month field "L"/],
      ['0 0 * * 5#3', /day-of-week field "5#3"/],
      ['0 0 0 * * *', /5 fields/],
      ['0 17-9 * * *', /runs backwards/],
      ['*/0 * * * *', /step 0/],
      ['0 0 30 2 *', /never matches/],
      ['? * * * *', /only allowed in the day fields/],
    ] as const) {
      expect(() => parseCron(bad)).toThrow(message);
    }
  });
});

describe('RRULE', () => {
  const runs = (rule: string, count = 4) => iso(nextRRuleRuns(parseRRule(`DTSTART:20261202T050300\nRRULE:${rule}`, 'UTC', NOW), NOW, count));

  it('agrees with python-dateutil (the reference implementation), including where the rrule library skips days', () => {
    // Expected values computed with python-dateutil 2.9 for DTSTART 2026-12-02T05:03:00, after 06:00.
    const cases: Array<[string, string[]]> = [
      ['FREQ=MINUTELY;INTERVAL=15;BYDAY=MO;BYHOUR=9', ['2026-12-07T09:03:00Z', '2026-12-07T09:18:00Z', '2026-12-07T09:33:00Z', '2026-12-07T09:48:00Z']],
      ['FREQ=MINUTELY;INTERVAL=10;BYSECOND=0,30;BYHOUR=10,11;BYDAY=TU,TH', ['2026-12-03T10:03:00Z', '2026-12-03T10:03:30Z', '2026-12-03T10:13:00Z', '2026-12-03T10:13:30Z']],
      ['FREQ=HOURLY;INTERVAL=3;BYMONTHDAY=-1;BYHOUR=2,5,8', ['2026-12-31T02:03:00Z', '2026-12-31T05:03:00Z', '2026-12-31T08:03:00Z', '2027-01-31T02:03:00Z']],
      ['FREQ=HOURLY;COUNT=30;BYDAY=SA,SU', ['2026-12-05T00:03:00Z', '2026-12-05T01:03:00Z', '2026-12-05T02:03:00Z', '2026-12-05T03:03:00Z']],
      ['FREQ=MINUTELY;COUNT=100;INTERVAL=90;BYYEARDAY=-1,1,100', ['2026-12-31T00:33:00Z', '2026-12-31T02:03:00Z', '2026-12-31T03:33:00Z', '2026-12-31T05:03:00Z']],
      ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0', ['2026-12-02T09:00:00Z', '2026-12-14T09:00:00Z', '2026-12-16T09:00:00Z', '2026-12-28T09:00:00Z']],
      ['FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0', ['2026-12-31T09:00:00Z', '2027-01-29T09:00:00Z', '2027-02-26T09:00:00Z', '2027-03-31T09:00:00Z']],
      ['FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO;BYHOUR=8;BYMINUTE=0', ['2027-01-04T08:00:00Z', '2028-01-03T08:00:00Z', '2029-01-01T08:00:00Z', '2029-12-31T08:00:00Z']],
      ['FREQ=MINUTELY;BYDAY=MO;BYHOUR=9;BYMINUTE=0,30', ['2026-12-07T09:00:00Z', '2026-12-07T09:30:00Z', '2026-12-14T09:00:00Z', '2026-12-14T09:30:00Z']],
    ];
    for (const [rule, expected] of cases) expect({ rule, runs: runs(rule) }).toEqual({ rule, runs: expected });
  });

  it('translates what calendars express, feeds the rest as occurrences', () => {
    const plan = (rrule: string) => planTiming({ kind: 'rrule', expression: rrule, timezone: 'Europe/Oslo', anchorMs: NOW }, NOW);
    expect(plan('FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0').mode).toBe('calendar');
    expect(plan('FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=15;BYHOUR=9').mode).toBe('calendar');
    for (const rule of ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO', 'FREQ=MONTHLY;BYDAY=1MO', 'FREQ=DAILY;COUNT=3', 'FREQ=MONTHLY;BYMONTHDAY=-1', 'FREQ=YEARLY;BYYEARDAY=100']) {
      const p = plan(rule);
      expect({ rule, mode: p.mode }).toEqual({ rule, mode: 'occurrences' });
      expect(p.spec.timezone).toBe('UTC');
      expect(p.spec.calendars!.length).toBeGreaterThan(0);
    }
    // A far-back start costs nothing: the walk starts near now.
    const started = Date.now();
    const far = parseRRule('DTSTART:19800101T000000\nRRULE:FREQ=DAILY;INTERVAL=3;BYHOUR=9;BYMINUTE=0', 'UTC', NOW);
    expect(nextRRuleRuns(far, NOW, 2)).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses at once what never matches instead of walking to year 9999', () => {
    const started = Date.now();
    for (const [rule, message] of [
      ['FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30', /never matches/],
      ['FREQ=DAILY;INTERVAL=2;BYMONTH=4;BYMONTHDAY=31', /never matches/],
      ['FREQ=DAILY;INTERVAL=14;BYDAY=MO', /always a WE/],
      ['FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2;BYHOUR=9;BYMINUTE=0;BYSECOND=0', /BYSETPOS is past/],
      ['FREQ=MINUTELY;BYSETPOS=1', /BYSETPOS needs FREQ=DAILY/],
      ['FREQ=WEEKLY;BYDAY=1MO', /needs FREQ=MONTHLY or FREQ=YEARLY/],
      ['FREQ=DAILY;COUNT=2;UNTIL=20300101T000000Z', /not both/],
      ['FREQ=DAILY;COUNT=20000', /COUNT must be/],
    ] as const) {
      expect(() => parseRRule(`DTSTART:20261202T050300\nRRULE:${rule}`, 'UTC', NOW)).toThrow(message);
    }
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(() => planTiming({ kind: 'rrule', expression: 'FREQ=DAILY;BYDAY=XX', timezone: 'UTC', anchorMs: NOW }, NOW)).toThrow(TimingError);
  });

  it('reads DTSTART in the zone, with Z in UTC, and UNTIL with Z as an instant', () => {
    const oslo = parseRRule('DTSTART:20270104T090000\nRRULE:FREQ=WEEKLY;COUNT=2', 'Europe/Oslo', NOW);
    expect(iso(nextRRuleRuns(oslo, NOW, 5))).toEqual(['2027-01-04T08:00:00Z', '2027-01-11T08:00:00Z']);
    const utc = parseRRule('DTSTART:20270104T090000Z\nRRULE:FREQ=WEEKLY;COUNT=1', 'Europe/Oslo', NOW);
    expect(iso(nextRRuleRuns(utc, NOW, 5))).toEqual(['2027-01-04T09:00:00Z']);
    const until = parseRRule('FREQ=DAILY;BYHOUR=9;BYMINUTE=0;UNTIL=20261204T080000Z', 'Europe/Oslo', NOW);
    expect(iso(nextRRuleRuns(until, NOW, 5))).toEqual(['2026-12-02T08:00:00Z', '2026-12-03T08:00:00Z', '2026-12-04T08:00:00Z']);
  });
});

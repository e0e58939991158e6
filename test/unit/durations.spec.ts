import { DurationError, parseDuration, untilToDelayMs } from '../../workflows/shared/durations';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['5 minutes', 5 * MIN],
    ['2 days', 2 * DAY],
    ['3 days', 3 * DAY],
    ['1h', HOUR],
    ['90s', 90_000],
    ['1.5 hours', 1.5 * HOUR],
    ['  10m ', 10 * MIN],
    ['5 MINUTES', 5 * MIN],
  ])('reads human string %j', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['PT5M', 5 * MIN],
    ['P3D', 3 * DAY],
    ['P1DT2H', DAY + 2 * HOUR],
    ['P1DT2H30M', DAY + 2.5 * HOUR],
    ['PT0.5S', 500],
    ['PT0,5S', 500],
    ['P2W', 14 * DAY],
    ['pt5m', 5 * MIN],
    ['P1M', 30 * DAY],
    ['P1Y', 365 * DAY],
  ])('reads ISO-8601 %s', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it('takes a positive number as milliseconds', () => {
    expect(parseDuration(1500)).toBe(1500);
  });

  it.each([['soon'], [''], ['   '], [-5], [0], [NaN], [Infinity], ['P'], ['PT'], ['P1DT'], ['-5 minutes'], ['0s'], [null], [undefined], [{}], [['5m']], [true]])(
    'rejects %p',
    (input) => {
      expect(() => parseDuration(input)).toThrow(DurationError);
    },
  );

  it('quotes the input and shows a valid example', () => {
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon".*"5 minutes".*"PT5M"/);
    expect(() => parseDuration(-5)).toThrow(/invalid duration -5/);
    expect(() => parseDuration('')).toThrow(/invalid duration ""/);
    try {
      parseDuration('P');
    } catch (e) {
      expect((e as Error).name).toBe('DurationError');
      expect((e as Error).message).toContain('"P"');
    }
    expect.assertions(5);
  });
});

describe('untilToDelayMs', () => {
  const now = Date.UTC(2030, 0, 1, 0, 0, 0);

  it('measures from now to the timestamp', () => {
    expect(untilToDelayMs('2030-01-01T01:00:00Z', now)).toBe(HOUR);
    expect(untilToDelayMs('2030-01-02', now)).toBe(DAY);
    expect(untilToDelayMs('2030-01-01T02:00:00+01:00', now)).toBe(HOUR);
    expect(untilToDelayMs('2029-12-31T23:00:00-0200', now)).toBe(HOUR);
    expect(untilToDelayMs('2030-01-01T00:00:00.250Z', now)).toBe(250);
  });

  it('treats a time without an offset as UTC, whatever the host zone', () => {
    expect(untilToDelayMs('2030-01-01T03:00', now)).toBe(3 * HOUR);
  });

  it('gives 0 for a past timestamp', () => {
    expect(untilToDelayMs('2020-01-01T00:00:00Z', now)).toBe(0);
  });

  it.each([['tomorrow'], ['10:00'], ['T10:00:00Z'], ['2030-02-30'], ['2030-13-01'], ['2030-01-01T24:00:00Z'], [''], [12345], [null]])(
    'rejects %p',
    (input) => {
      expect(() => untilToDelayMs(input, now)).toThrow(DurationError);
    },
  );

  it('quotes the input in the error', () => {
    expect(() => untilToDelayMs('tomorrow', now)).toThrow(/invalid timestamp "tomorrow".*2030-01-31/);
  });
});

import { bucketIndex, dashboardRange } from '../../src/dashboard/dashboard-window';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('dashboard windows', () => {
  it('hour: 60 one-minute buckets ending with the current minute', () => {
    const r = dashboardRange('hour', at('2026-03-04T10:17:42.500Z'));
    expect([iso(r.fromMs), iso(r.toMs), r.bucketSeconds, r.grain]).toEqual(['2026-03-04T09:18:00.000Z', '2026-03-04T10:18:00.000Z', 60, 60]);
    expect(r.bucketStarts).toHaveLength(60);
    expect(iso(r.bucketStarts[59])).toBe('2026-03-04T10:17:00.000Z');
  });

  it('day: 48 half hours aligned to :00 and :30 UTC; week: 168 hours from half-hour rows', () => {
    const day = dashboardRange('day', at('2026-03-04T10:47:00Z'));
    expect([iso(day.fromMs), iso(day.toMs), day.bucketStarts.length, day.grain]).toEqual(['2026-03-03T11:00:00.000Z', '2026-03-04T11:00:00.000Z', 48, 1800]);
    const week = dashboardRange('week', at('2026-03-04T10:00:00Z'));
    expect([iso(week.fromMs), iso(week.toMs), week.bucketStarts.length, week.bucketSeconds, week.grain]).toEqual(['2026-02-25T11:00:00.000Z', '2026-03-04T11:00:00.000Z', 168, 3600, 1800]);
  });

  it('a time exactly on a boundary starts the next bucket', () => {
    const r = dashboardRange('hour', at('2026-03-04T10:18:00Z'));
    expect(iso(r.bucketStarts[59])).toBe('2026-03-04T10:18:00.000Z');
  });

  it('bucketIndex: both half hours of an hour fall in it; outside the window is -1', () => {
    const week = dashboardRange('week', at('2026-03-04T10:05:00Z'));
    expect(bucketIndex(week, at('2026-03-04T10:00:00Z'))).toBe(167);
    expect(bucketIndex(week, at('2026-03-04T10:30:00Z'))).toBe(167);
    expect(bucketIndex(week, at('2026-03-04T09:30:00Z'))).toBe(166);
    expect(bucketIndex(week, week.fromMs)).toBe(0);
    expect(bucketIndex(week, week.fromMs - 1)).toBe(-1);
    expect(bucketIndex(week, week.toMs)).toBe(-1);
  });
});

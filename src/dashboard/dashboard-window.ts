/** The dashboard's windows: how many buckets of what size, read from which grain of dashboard_stats. */
export const DASHBOARD_WINDOWS = {
  hour: { bucketSeconds: 60, buckets: 60, grain: 60 },
  day: { bucketSeconds: 1800, buckets: 48, grain: 1800 },
  week: { bucketSeconds: 3600, buckets: 168, grain: 1800 },
} as const;

export type DashboardWindowName = keyof typeof DASHBOARD_WINDOWS;
export const DASHBOARD_WINDOW_NAMES = Object.keys(DASHBOARD_WINDOWS) as DashboardWindowName[];

export interface DashboardRange {
  window: DashboardWindowName;
  /** Epoch ms, inclusive; a multiple of the bucket size. */
  fromMs: number;
  /** Epoch ms, exclusive: the end of the bucket `now` is in (the last bucket is the current one, still filling). */
  toMs: number;
  bucketSeconds: number;
  /** The dashboard_stats grain the window reads (a divisor of bucketSeconds). */
  grain: number;
  /** Each bucket's start, epoch ms, oldest first. */
  bucketStarts: number[];
}

/** Buckets are aligned to multiples of their size since the epoch (UTC), so a window's buckets are whole grains. */
export function dashboardRange(window: DashboardWindowName, nowMs: number): DashboardRange {
  const { bucketSeconds, buckets, grain } = DASHBOARD_WINDOWS[window];
  const size = bucketSeconds * 1000;
  const toMs = (Math.floor(nowMs / size) + 1) * size;
  const fromMs = toMs - buckets * size;
  return { window, fromMs, toMs, bucketSeconds, grain, bucketStarts: Array.from({ length: buckets }, (_, i) => fromMs + i * size) };
}

/** Which bucket of the range a grain row starting at `atMs` falls in, or -1 when outside it. */
export function bucketIndex(range: DashboardRange, atMs: number): number {
  if (atMs < range.fromMs || atMs >= range.toMs) return -1;
  return Math.floor((atMs - range.fromMs) / (range.bucketSeconds * 1000));
}

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * CPU and memory of the processes a bench scenario loads, read from /proc (Linux only; on any
 * other system the figures come out as NaN and the bench still runs).
 */

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* 100 on every Linux this runs on */
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime (children already reaped), seconds. */
  reaped: number;
}

function readStat(pid: number): Stat | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
    return { pid, ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / clockTicks, reaped: (Number(f[13]) + Number(f[14])) / clockTicks };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  try {
    return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds of one process alone (not its children). */
export function ownCpu(pid: number): number {
  return readStat(pid)?.own ?? NaN;
}

/**
 * CPU seconds of a process and every descendant, alive or already reaped (a reaped child's time
 * is in its parent's cutime/cstime). Postgres backends that come and go are counted this way.
 */
export function treeCpu(root: number): number {
  const stats = allPids().map(readStat).filter((s): s is Stat => s !== null);
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat) return NaN;
  let total = 0;
  const stack = [rootStat];
  while (stack.length) {
    const s = stack.pop()!;
    total += s.own + s.reaped;
    stack.push(...(children.get(s.pid) ?? []));
  }
  return total;
}

/** Resident memory of a process in MB (VmRSS), NaN when unknown. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** The command line of a process, for the report. */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

/**
 * The process listening on a local TCP port (the Temporal frontend, the postmaster). Found by the
 * socket's inode in /proc/net/tcp{,6} and a scan of /proc/<pid>/fd. Undefined when not found
 * (another user's process, no /proc).
 */
export function listenerPid(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(cols[1].split(':').pop()!, 16) === port) inodes.add(cols[9]);
    }
  }
  if (!inodes.size) return undefined;
  for (const pid of allPids()) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return pid;
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return undefined;
}

/** The processes whose CPU each scenario reports. */
export interface Watched {
  temporal?: number;
  postgres?: number;
  /** The bench process: API (and worker, in-process topologies), load generator, pollers. */
  bench: number;
  /** `herald worker` child processes (multi-worker topology). */
  workers: number[];
}

/** Busy CPU seconds of the whole machine (all processes, all cores) from /proc/stat. */
export function machineBusy(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) / clockTicks;
  } catch {
    return NaN;
  }
}

export interface CpuSnapshot {
  at: number;
  machine: number;
  temporal: number;
  postgres: number;
  bench: number;
  workers: number;
}

export function cpuSnapshot(w: Watched): CpuSnapshot {
  return {
    at: Date.now(),
    machine: machineBusy(),
    temporal: w.temporal ? treeCpu(w.temporal) : NaN,
    postgres: w.postgres ? treeCpu(w.postgres) : NaN,
    // Only the bench process itself: the embedded servers are its children.
    bench: ownCpu(w.bench),
    workers: w.workers.reduce((sum, pid) => sum + treeCpu(pid), 0),
  };
}

export interface CpuUse {
  wallSeconds: number;
  temporal: number;
  postgres: number;
  bench: number;
  workers: number;
  /** Everything else the machine ran meanwhile (machine busy time minus the groups above). */
  others: number;
}

export function cpuSince(before: CpuSnapshot, w: Watched): CpuUse {
  const now = cpuSnapshot(w);
  const r = (x: number) => Math.round(x * 100) / 100;
  const use: CpuUse = {
    wallSeconds: r((now.at - before.at) / 1000),
    temporal: r(now.temporal - before.temporal),
    postgres: r(now.postgres - before.postgres),
    bench: r(now.bench - before.bench),
    workers: r(now.workers - before.workers),
    others: NaN,
  };
  const ours = [use.temporal, use.postgres, use.bench, use.workers].filter(Number.isFinite).reduce((a, b) => a + b, 0);
  use.others = r(Math.max(0, now.machine - before.machine - ours));
  return use;
}

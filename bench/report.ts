import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Row } from './common';
import type { CpuUse } from './procs';

export interface CpuRow extends CpuUse {
  scenario: string;
  /** autocannon's child process (identify stream). */
  loadgen: number;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const pct = (cpu: number, wall: number) => (Number.isFinite(cpu) && wall > 0 ? `${cpu.toFixed(1)} s (${Math.round((100 * cpu) / wall)}%)` : '—');

/** The main table: `| scenario | Herald | baseline | ratio | goal |`. */
export function resultTable(rows: Row[]): string {
  const lines = ['| scenario | Herald | baseline | ratio | goal |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${cell(r.scenario)} | ${cell(r.herald)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${cell(r.goal)} |`);
  return lines.join('\n');
}

/**
 * CPU seconds per scenario and process group, with the share of one core over the scenario's
 * wall time (200% = both cores of a 2-core machine); the busiest group is what runs out first.
 */
export function cpuTable(rows: CpuRow[], cores: number, withWorkers: boolean): string {
  const head = ['scenario', 'wall', 'Temporal server', 'Postgres', 'bench process', ...(withWorkers ? ['worker processes'] : []), 'load generator', 'other processes', 'all / capacity', 'busiest'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const groups: Array<[string, number]> = [['Temporal', r.temporal], ['Postgres', r.postgres], ['bench', r.bench], ...(withWorkers ? ([['workers', r.workers]] as Array<[string, number]>) : []), ['load generator', r.loadgen]];
    const known = groups.filter(([, v]) => Number.isFinite(v));
    const total = known.reduce((s, [, v]) => s + v, 0);
    const other = Number.isFinite(r.others) ? Math.max(0, r.others - r.loadgen) : NaN;
    const busiest = known.sort((a, b) => b[1] - a[1])[0];
    const cells = [
      cell(r.scenario),
      `${r.wallSeconds.toFixed(1)} s`,
      pct(r.temporal, r.wallSeconds),
      pct(r.postgres, r.wallSeconds),
      pct(r.bench, r.wallSeconds),
      ...(withWorkers ? [pct(r.workers, r.wallSeconds)] : []),
      r.loadgen ? pct(r.loadgen, r.wallSeconds) : '—',
      pct(other, r.wallSeconds),
      r.wallSeconds > 0 ? `${Math.round((100 * (total + (Number.isFinite(other) ? other : 0))) / (r.wallSeconds * cores))}% of ${cores} cores` : '—',
      busiest ? busiest[0] : '—',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Writes bench/results/<ISO time>[-label].{json,md}; returns the two paths. */
export function writeResults(started: Date, label: string, json: unknown, markdown: string): string[] {
  const dir = path.resolve(__dirname, '../../bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}${label ? `-${label}` : ''}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2));
  fs.writeFileSync(`${base}.md`, markdown);
  return [`${base}.json`, `${base}.md`];
}

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTestServers } from '../../setup/test-env';
import { waitUntil } from '../../support/wait-until';

const CLI = path.resolve(__dirname, '../../../dist/src/main.js');

/** A Herald process (`herald api` or `herald worker`) from the build, on the test run's servers. */
export function spawnHerald(mode: 'api' | 'worker', env: Record<string, string>): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run test:faults does)`);
  const servers = readTestServers();
  const child = spawn(process.execPath, [CLI, mode], {
    env: { ...process.env, DATABASE_URL: servers.databaseUrl, TEMPORAL_ADDRESS: servers.temporalAddress, LOG_LEVEL: 'error', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited };
}

/** Waits until an HTTP server answers on the port (a spawned `herald api`). */
export async function listening(port: number): Promise<void> {
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok, { timeoutMs: 60_000, what: `Herald on port ${port}` });
}

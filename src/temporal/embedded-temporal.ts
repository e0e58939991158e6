import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { HERALD_SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { resolveTemporalBinary } from './temporal-binary';

export interface EmbeddedTemporalOptions {
  /** SQLite file for persistent state; omit for an in-memory server (tests). */
  dbFile?: string;
  port: number;
  uiPort?: number;
  /** Remote codec endpoint the UI decodes payloads through. */
  uiCodecEndpoint?: string;
  headless?: boolean;
  namespace: string;
  binPath?: string;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface EmbeddedTemporalHandle {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` as a child process: real Temporal server with SQLite
 * persistence, the Web UI, the namespace and Herald's search attributes registered at launch.
 */
export async function startEmbeddedTemporal(opts: EmbeddedTemporalOptions): Promise<EmbeddedTemporalHandle> {
  const bin = resolveTemporalBinary(opts.binPath);
  await assertPortFree(opts.port, 'Temporal gRPC (HERALD_TEMPORAL_PORT)');
  if (!opts.headless && opts.uiPort) await assertPortFree(opts.uiPort, 'Temporal UI (HERALD_TEMPORAL_UI_PORT)');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    // WAL with synchronous=NORMAL: a process crash loses nothing; only an OS crash can lose the
    // last moments. Without it every workflow start waits on an fsync (tens of ms on this disk).
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) {
    args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
    // The UI decodes Herald's encrypted payloads through Herald's codec endpoint.
    if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  }
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const key of HERALD_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${searchAttributeCliType(key.type)}`);

  const log = opts.log ?? (() => undefined);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => log(b.toString().trim()));
  child.stderr?.on('data', (b: Buffer) => log(b.toString().trim()));
  let exited = false;
  // If Node exits without stop() (a crash), the dev server must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`temporal server start-dev exited during start (${bin} ${args.join(' ')})`);
    if (await isTemporalServing(address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server did not become ready on ${address}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    address,
    uiUrl: opts.headless ? undefined : `http://localhost:${opts.uiPort ?? opts.port + 1000}`,
    process: child,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

async function isTemporalServing(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function searchAttributeCliType(type: string): string {
  // SDK types are KEYWORD, TEXT, INT, ...; the CLI wants Keyword, Text, Int, ...
  const map: Record<string, string> = {
    KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool',
    DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
  };
  return map[type] ?? type;
}

export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () =>
      reject(new Error(`Port ${port} for ${what} is already in use. Stop what uses it or choose another port.`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

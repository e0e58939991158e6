import { ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitUntil } from '../support/wait-until';
import { freePort } from '../support/ports';

/**
 * `npm start` as a user runs it: the built CLI with nothing configured but ports and a data
 * dir, embedded Postgres and Temporal, then SIGTERM, then a second start on the same data.
 */
const CLI = path.resolve(__dirname, '../../dist/src/main.js');

function startCli(env: NodeJS.ProcessEnv, args = ['start']) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' }) as ChildProcessWithoutNullStreams;
  let output = '';
  child.stdout.on('data', (b) => (output += b.toString()));
  child.stderr.on('data', (b) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

describe('herald start (the npm start path)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
  fs.chmodSync(dataDir, 0o755);
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
    env = {
      HERALD_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HERALD_POSTGRES_PORT: String(await freePort()),
      HERALD_TEMPORAL_PORT: String(await freePort()),
      HERALD_TEMPORAL_UI_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'HERALD_API_KEY']) env[name] = '';
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('runs everything, prints its addresses and a key once, stops cleanly and keeps data across restarts', async () => {
    const first = startCli(env);
    await waitUntil(async () => first.output().includes('API key for workspace'), { timeoutMs: 90_000, what: 'start-up' });
    const out = first.output();
    expect(out).toContain(`API:         http://localhost:${env.PORT}`);
    expect(out).toContain(`OpenAPI:     http://localhost:${env.PORT}/docs`);
    expect(out).toContain(`UI: http://localhost:${env.HERALD_TEMPORAL_UI_PORT}`);
    const key = /shown once, store it now\): (hk_\S+)/.exec(out)![1];
    const api = `http://localhost:${env.PORT}`;
    const auth = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };

    const ui = await fetch(`http://localhost:${env.HERALD_TEMPORAL_UI_PORT}/`);
    expect(ui.status).toBe(200);
    expect((await fetch(`${api}/ready`)).status).toBe(200);
    const studio = await fetch(`${api}/studio`);
    expect(studio.status).toBe(200);
    expect(await studio.text()).toContain('<html');
    const post = await fetch(`${api}/inbound/rudderstack`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'identify', userId: 'cli-user', messageId: 'cli-1', traits: { plan: 'pro' } }),
    });
    expect(post.status).toBe(202);
    await waitUntil(async () => (await fetch(`${api}/profiles/cli-user`, { headers: auth })).status === 200, { what: 'profile' });

    // A second key from the CLI while Herald runs (it uses the running embedded Postgres).
    const created = execFileSync(process.execPath, [CLI, 'keys', 'create', '--name', 'ci'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const secondKey = /\(shown once\): (hk_\S+)/.exec(created)![1];
    expect((await fetch(`${api}/profiles/cli-user`, { headers: { Authorization: `Bearer ${secondKey}` } })).status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Herald stopped');
    expect(first.output().split(key).length - 1).toBe(1); // the key appears once: in the start-up banner, never in logs
    expect(processesMentioning(dataDir)).toEqual([]);

    // LOG_FORMAT=pretty is what a terminal gets by default (auto): readable lines, not JSON.
    const second = startCli({ ...env, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
    await waitUntil(async () => second.output().includes('is up in'), { timeoutMs: 90_000, what: 'second start-up' });
    expect(second.output()).not.toContain('API key for workspace');
    expect(second.output()).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO/m);
    expect(second.output()).not.toMatch(/^\{"level"/m);
    const profile = await fetch(`${api}/profiles/cli-user`, { headers: auth });
    expect(await profile.json()).toEqual({ profile: { plan: 'pro' } });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 180_000);
});

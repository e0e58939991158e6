import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTestServers } from '../setup/test-env';
import { startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { freePort as deadPort } from '../support/ports';

type Auth = Record<string, string>;

async function messageReaches(herald: TestHerald, auth: Auth, id: string, statuses: string[], timeoutMs = 60_000) {
  return waitUntil(async () => {
    const res = await herald.http.get(`/messages/${id}`).set(auth);
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  }, { timeoutMs, what: `message ${id} to reach ${statuses.join('/')}` });
}

describe('SMTP down', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald({ env: { SMTP_URL: `smtp://127.0.0.1:${await deadPort()}` } });
  });
  afterAll(() => herald?.stop());

  it('retries, then fails over to the inbox (routing single); with no other channel the message is UNDELIVERABLE with the error', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/profiles/u').set(ws.auth).send({ profile: { email: 'u@example.com' } }).expect(200);
    await herald.http.put('/notifications/failover').set(ws.auth).send({
      name: 'Failover', channels: { email: { subject: 's', text: 't' }, inbox: { title: 'In the inbox', body: 'b' } }, routing: { method: 'single', channels: ['email', 'inbox'] },
    }).expect(200);
    await herald.http.put('/notifications/mail').set(ws.auth).send({ name: 'Mail', channels: { email: { subject: 's', text: 't' } } }).expect(200);

    const failover = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'u' }, template: 'failover' } })).body.requestId;
    const onlyMail = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'u' }, template: 'mail' } })).body.requestId;

    const delivered = await messageReaches(herald, ws.auth, failover, ['DELIVERED']);
    expect(Object.keys(delivered.providers)).toEqual(['inbox']);
    expect((await herald.http.get('/inbox/u/messages').set(ws.auth)).body.items.map((i: any) => i.title)).toEqual(['In the inbox']);

    const failed = await messageReaches(herald, ws.auth, onlyMail, ['UNDELIVERABLE']);
    expect(failed.error).toMatch(/^email: smtp: .*ECONNREFUSED/);
    const attempts = (await herald.db.query(
      `SELECT attempts, state FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2 AND channel = 'email'`,
      [ws.id, onlyMail],
    )) as Array<{ attempts: number; state: string }>;
    expect(attempts).toEqual([{ attempts: 4, state: 'failed' }]);
    const history = (await herald.http.get(`/messages/${onlyMail}/history`).set(ws.auth)).body.items;
    expect(history.map((h: any) => h.status)).toEqual(['ENQUEUED', 'UNDELIVERABLE']);
  }, 90_000);
});

describe('a worker killed between the provider accepting and the status write', () => {
  const CLI = path.resolve(__dirname, '../../dist/src/main.js');
  let api: TestHerald | undefined;
  let takeover: TestHerald | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await api?.stop();
    await takeover?.stop();
  });

  it('does not send a second email', async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
    const smtp = await startSmtpSink();
    const taskQueue = `kill-${randomUUID()}`;
    const servers = readTestServers();
    const env = { SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue };
    try {
      api = await startTestHerald({ worker: false, taskQueue, env });
      const ws = await api.newWorkspace();
      await api.http.put('/profiles/k').set(ws.auth).send({ profile: { email: 'k@example.com' } }).expect(200);

      // A separate worker process that SIGKILLs itself right after the SMTP server accepted the email.
      child = spawn(process.execPath, [CLI, 'worker'], {
        env: { ...process.env, ...env, DATABASE_URL: servers.databaseUrl, TEMPORAL_ADDRESS: servers.temporalAddress, HERALD_FAULT_INJECTION: 'after-provider-accept:kill', LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.on('exit', (_code, signal) => resolve(signal)));

      const id = (await api.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'k' }, content: { title: 'Exactly once', body: 'b' }, channels: ['email'] } })).body.requestId;
      expect(await exited).toBe('SIGKILL');
      expect(smtp.messages.filter((m) => m.headers.get('x-herald-message-id') === id)).toHaveLength(1);
      expect((await api.http.get(`/messages/${id}`).set(ws.auth)).body.status).toBe('ENQUEUED');

      // Another worker takes over the retried attempt (after the heartbeat timeout).
      takeover = await startTestHerald({ taskQueue, env });
      const sent = await messageReaches(takeover, ws.auth, id, ['SENT']);
      expect(sent.providers.email.response).toMatch(/^unconfirmed/);
      expect(smtp.messages.filter((m) => m.headers.get('x-herald-message-id') === id)).toHaveLength(1);
      const [delivery] = (await takeover.db.query(`SELECT attempts, state FROM channel_deliveries WHERE workspace_id = $1 AND message_id = $2`, [ws.id, id])) as Array<{ attempts: number; state: string }>;
      expect(delivery).toEqual({ attempts: 1, state: 'accepted' });
    } finally {
      await smtp.close();
    }
  }, 120_000);
});

import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTestServers } from '../setup/test-env';
import { publishedTemplate } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { countBy, listAll } from './support/books';

/**
 * A worker process killed with SIGKILL while runs wait in delays and messages are being sent;
 * a new worker finishes everything. The books: every run PROCESSED, every inbox message exactly
 * once, every email at most once — and an email is missing only where the dead worker's attempt
 * was interrupted mid-send (recorded as unconfirmed).
 */
const CLI = path.resolve(__dirname, '../../dist/src/main.js');

describe('worker killed with SIGKILL mid-run', () => {
  let api: TestHerald | undefined;
  let takeover: TestHerald | undefined;
  let child: ChildProcess | undefined;
  let smtp: SmtpSink | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await api?.stop();
    await takeover?.stop();
    await smtp?.close();
  });

  it('a new worker finishes the runs and messages; nothing is lost or sent twice', async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run test:faults does)`);
    smtp = await startSmtpSink();
    const taskQueue = `fault-kill-${randomUUID()}`;
    const env = { SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue };
    api = await startTestHerald({ worker: false, taskQueue, env });
    const ws = await api.newWorkspace();
    const users = Array.from({ length: 10 }, (_, i) => `k${i}`);
    for (const u of users) await api.http.put(`/profiles/${u}`).set(ws.auth).send({ profile: { email: `${u}@example.com` } }).expect(200);
    await api.http.put('/notifications/note').set(ws.auth).send({
      name: 'Note', channels: { email: { subject: 'Hi', text: 'x' }, inbox: { title: 't', body: 'b' } }, routing: { method: 'all', channels: ['email', 'inbox'] },
    }).expect(200);
    const template = await publishedTemplate(api, ws.auth, { name: 'Delayed', steps: [{ action: 'delay', duration: '3 seconds' }, { action: 'send', template: 'note' }] });

    const servers = readTestServers();
    child = spawn(process.execPath, [CLI, 'worker'], {
      env: { ...process.env, ...env, DATABASE_URL: servers.databaseUrl, TEMPORAL_ADDRESS: servers.temporalAddress, LOG_LEVEL: 'error' },
      stdio: 'ignore',
    });
    const runIds: string[] = [];
    const sendIds: string[] = [];
    for (let i = 0; i < 40; i++) {
      const user = users[i % users.length];
      runIds.push((await api.http.post(`/automations/${template}/invoke`).set(ws.auth).send({ recipient: user })).body.runId);
      sendIds.push((await api.http.post('/send').set(ws.auth).send({ message: { to: { user_id: user }, template: 'note' } })).body.requestId);
    }
    // Kill once work is in flight: some runs waiting in their delay, some messages already out.
    await waitUntil(async () => {
      const waiting = (await api!.http.get('/automations/runs').set(ws.auth).query({ status: 'WAITING', limit: 1 })).body.items.length;
      return waiting > 0 && smtp!.messages.length > 0;
    }, { timeoutMs: 60_000, what: 'work in flight' });
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const emailsAtKill = smtp.messages.length;

    takeover = await startTestHerald({ taskQueue, env });
    await waitUntil(async () => {
      const runs = await listAll(takeover!, ws.auth, '/automations/runs');
      return runs.length === runIds.length && runs.every((r) => r.status === 'PROCESSED');
    }, { timeoutMs: 120_000, what: 'all runs PROCESSED' });
    const messageIds = [...sendIds, ...runIds.map((id) => `${id}:1`)];
    const messages = await waitUntil(async () => {
      const all = await listAll(takeover!, ws.auth, '/messages');
      // Routing `all` ends with the inbox, which confirms delivery.
      return all.length === messageIds.length && all.every((m) => m.status === 'DELIVERED') ? all : undefined;
    }, { timeoutMs: 120_000, what: 'all messages delivered' });

    // The books.
    const inbox = (await Promise.all(users.map((u) => listAll(takeover!, ws.auth, `/inbox/${u}/messages`)))).flat();
    const inboxCount = countBy(inbox, (i) => i.id);
    expect(messageIds.filter((id) => inboxCount[id] !== 1)).toEqual([]);
    const emailCount = countBy(smtp.messages, (m) => String(m.headers.get('x-herald-message-id')));
    expect(Object.entries(emailCount).filter(([, n]) => n > 1)).toEqual([]);
    const missing = messageIds.filter((id) => !emailCount[id]);
    const unconfirmed = messages.filter((m) => String(m.providers.email?.response ?? '').startsWith('unconfirmed')).map((m) => m.id);
    for (const id of missing) expect(unconfirmed).toContain(id);
    console.log(`worker kill: ${runIds.length} runs + ${sendIds.length} sends; ${emailsAtKill} emails before the kill, ${smtp.messages.length} after; ${unconfirmed.length} unconfirmed attempts, ${missing.length} emails missing`);
  }, 300_000);
});

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { countBy } from './support/books';
import { spawnHerald } from './support/processes';

/**
 * A broadcast to 5,000 recipients at 250/s, its worker killed with SIGKILL about a third of
 * the way; a new worker finishes it. The books: every recipient messaged exactly once (one
 * message `<broadcast>:<user>`, DELIVERED, one inbox item), every email at most once — missing
 * only where the dead worker's attempt was interrupted mid-send — and counters that add up.
 */
const N = 5000;
const WITH_EMAIL = 1000;

describe('broadcast worker killed with SIGKILL mid-way', () => {
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

  it('a new worker finishes the broadcast; nobody is messaged twice or skipped', async () => {
    smtp = await startSmtpSink();
    const taskQueue = `fault-broadcast-${randomUUID()}`;
    const env = { SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue };
    api = await startTestHerald({ worker: false, taskQueue, env });
    const ws = await api.newWorkspace();
    const users = Array.from({ length: N }, (_, i) => `b${String(i).padStart(4, '0')}`);
    for (let i = 0; i < N; i += 1000) {
      await api.http.post('/lists/all/subscriptions').set(ws.auth).send({ recipients: users.slice(i, i + 1000).map((recipientId) => ({ recipientId })) }).expect(204);
    }
    // Every fifth has an email address (spread out, so the kill lands among email sends too); the rest are inbox-only.
    const withEmail = users.filter((_, i) => i % (N / WITH_EMAIL) === 0);
    for (const u of withEmail) await api.http.put(`/profiles/${u}`).set(ws.auth).send({ profile: { email: `${u}@example.com` } }).expect(200);
    await api.http.put('/notifications/note').set(ws.auth).send({
      name: 'Note', channels: { email: { subject: 'Hi', text: 'x' }, inbox: { title: 't', body: 'b' } }, routing: { method: 'all', channels: ['email', 'inbox'] },
    }).expect(200);

    const worker = spawnHerald('worker', env);
    child = worker.child;
    const id = (await api.http.post('/broadcasts').set(ws.auth).send({ name: 'Kill me', list_id: 'all', template: 'note', rate_per_second: 250, start: true }).expect(201)).body.id;
    const sentAtKill = await waitUntil(async () => {
      const b = (await api!.http.get(`/broadcasts/${id}`).set(ws.auth)).body;
      return b.progress.sent >= N / 3 ? b.progress.sent : undefined;
    }, { timeoutMs: 120_000, what: 'a third sent' });
    child.kill('SIGKILL');
    await worker.exited;
    const emailsAtKill = smtp.messages.length;

    takeover = await startTestHerald({ taskQueue, env });
    const done = await waitUntil(async () => {
      const b = (await takeover!.http.get(`/broadcasts/${id}`).set(ws.auth)).body;
      return b.status === 'COMPLETED' ? b : undefined;
    }, { timeoutMs: 180_000, what: 'broadcast COMPLETED' });

    // The books.
    expect(done.progress).toEqual({ targeted: N, sent: N, filtered: 0, failed: 0, pending: 0 });
    const states = (await takeover.db.query(`SELECT state, count(*)::int AS n FROM broadcast_recipients WHERE workspace_id = $1 AND broadcast_id = $2 GROUP BY state`, [ws.id, id])) as Array<{ state: string; n: number }>;
    expect(states).toEqual([{ state: 'sent', n: N }]);
    const messages = (await takeover.db.query(`SELECT id, recipient, status, providers FROM messages WHERE workspace_id = $1 AND request_id = $2`, [ws.id, id])) as Array<{ id: string; recipient: string; status: string; providers: any }>;
    expect(messages.length).toBe(N);
    expect(messages.filter((m) => m.id !== `${id}:${m.recipient}` || m.status !== 'DELIVERED')).toEqual([]);
    const inbox = (await takeover.db.query(`SELECT user_id, count(*)::int AS n FROM inbox_messages WHERE workspace_id = $1 GROUP BY user_id`, [ws.id])) as Array<{ user_id: string; n: number }>;
    expect(inbox.length).toBe(N);
    expect(inbox.filter((r) => r.n !== 1)).toEqual([]);
    const emailCount = countBy(smtp.messages, (m) => String(m.headers.get('x-herald-message-id')));
    expect(Object.entries(emailCount).filter(([, n]) => n > 1)).toEqual([]);
    const emailed = withEmail.map((u) => `${id}:${u}`);
    const missing = emailed.filter((m) => !emailCount[m]);
    const unconfirmed = messages.filter((m) => String(m.providers?.email?.response ?? '').startsWith('unconfirmed')).map((m) => m.id);
    for (const m of missing) expect(unconfirmed).toContain(m);
    console.log(`broadcast kill: ${N} recipients at 250/s, killed after ${sentAtKill} sent (${emailsAtKill} emails); finished COMPLETED with ${smtp.messages.length} emails, ${unconfirmed.length} unconfirmed, ${missing.length} missing`);
  }, 400_000);
});

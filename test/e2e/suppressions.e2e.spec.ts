import { messageDecided } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 13 (suppression): an address the SMTP server refuses for good (5xx at RCPT) goes on the
 * workspace's suppression list as BOUNCED; the next email to it is not attempted (the routing's
 * next channel is used); GET/PUT/DELETE /suppressions/{email} read and change the list.
 */
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, SMTP_FROM: 'Herald <noreply@herald.test>' } });
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

const decided = (auth: Record<string, string>, id: string) => messageDecided(herald, auth, id);

it('a hard bounce suppresses the address; the next email is not attempted and the inbox is used instead', async () => {
  const ws = await herald.newWorkspace();
  smtp.reject('gone@example.com', 550);
  await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { email: { subject: 'Hi', text: 'x' }, inbox: { title: 'Hi', body: 'x' } }, routing: { method: 'single', channels: ['email', 'inbox'] } }).expect(200);
  await herald.http.put('/profiles/bouncer').set(ws.auth).send({ profile: { email: 'Gone@example.com' } }).expect(200);

  const first = await decided(ws.auth, (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'bouncer' }, template: 'note' } }).expect(202)).body.requestId);
  expect(smtp.envelope.filter((a) => a.toLowerCase() === 'gone@example.com')).toHaveLength(1);
  const entry = (await herald.http.get('/suppressions/gone@example.com').set(ws.auth)).body;
  expect(entry).toMatchObject({ email: 'gone@example.com', reason: 'BOUNCED', detail: expect.stringMatching(/550/) });
  // The first message failed over to the inbox.
  expect(first.status).toBe('DELIVERED');

  const second = await decided(ws.auth, (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'bouncer' }, template: 'note' } }).expect(202)).body.requestId);
  expect(second.status).toBe('DELIVERED');
  expect(second.reason).toMatch(/email: the address is on the suppression list \(BOUNCED\)/);
  expect(smtp.envelope.filter((a) => a.toLowerCase() === 'gone@example.com')).toHaveLength(1);

  // Another workspace still sends to it (its own list is empty).
  const other = await herald.newWorkspace();
  expect((await herald.http.get('/suppressions/gone@example.com').set(other.auth)).status).toBe(404);

  // DELETE lifts it: the next email is attempted again.
  expect((await herald.http.delete('/suppressions/gone@example.com').set(ws.auth)).status).toBe(204);
  await decided(ws.auth, (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'bouncer' }, template: 'note' } }).expect(202)).body.requestId);
  expect(smtp.envelope.filter((a) => a.toLowerCase() === 'gone@example.com')).toHaveLength(2);
});

it('PUT suppresses by hand (MANUAL); bad addresses are a 400, unknown ones a 404', async () => {
  const ws = await herald.newWorkspace();
  expect((await herald.http.put('/suppressions/Manual@Example.com').set(ws.auth)).body).toMatchObject({ email: 'manual@example.com', reason: 'MANUAL' });
  await herald.http.put('/notifications/mail').set(ws.auth).send({ name: 'Mail', channels: { email: { subject: 'Hi', text: 'x' } } }).expect(200);
  const m = await decided(ws.auth, (await herald.http.post('/send').set(ws.auth).send({ message: { to: { email: 'manual@example.com' }, template: 'mail' } }).expect(202)).body.requestId);
  expect({ status: m.status, reason: m.reason }).toEqual({ status: 'UNROUTABLE', reason: expect.stringMatching(/suppression list \(MANUAL\)/) });
  expect(smtp.envelope).not.toContain('manual@example.com');
  expect((await herald.http.get(`/suppressions/${encodeURIComponent('a@b.com, c@d.com')}`).set(ws.auth)).status).toBe(400);
  expect((await herald.http.get('/suppressions/nobody@example.com').set(ws.auth)).status).toBe(404);
  expect((await herald.http.delete('/suppressions/nobody@example.com').set(ws.auth)).status).toBe(404);
});

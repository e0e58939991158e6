import { messageDecided } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 12, item 3: an email address is one addr-spec. An identify trait or `to.email` holding an
 * address list, group syntax, a display name or a CRLF with a header must not reach nodemailer
 * (which would read them as more recipients): the message is UNROUTABLE with the reason, and
 * the SMTP sink's envelope shows nobody was written to.
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

const victims = Array.from({ length: 30 }, (_, i) => `victim${i}@example.com`);
const HOSTILE = [
  `me@example.com, ${victims.join(', ')}`,
  'me@example.com\r\nBcc: victim@example.com',
  'me@example.com\nBcc: victim@example.com',
  'undisclosed: victim@example.com, victim2@example.com;',
  '"Me" <me@example.com>',
  'me@example.com; victim@example.com',
  '<victim@example.com>',
];

it('a hostile profile.email or to.email ends UNROUTABLE and nothing reaches the SMTP server', async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/notifications/mail').set(ws.auth).send({ name: 'Mail', channels: { email: { subject: 'Hi', html: '<p>Hi</p>' } } }).expect(200);
  const ids: string[] = [];
  const runs: string[] = [];
  for (const [i, email] of HOSTILE.entries()) {
    // Through an identify event (a trait anyone with the write key sets) and through to.email.
    await herald.http.put(`/profiles/victim-user-${i}`).set(ws.auth).send({ profile: { email } }).expect(200);
    ids.push((await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: `victim-user-${i}` }, template: 'mail', routing: { channels: ['email'] } } }).expect(202)).body.requestId);
    // Given directly to /send it is a 400 naming the field; the profile path above is decided at delivery.
    const direct = await herald.http.post('/send').set(ws.auth).send({ message: { to: { email }, template: 'mail' } });
    expect({ email, status: direct.status, message: direct.body.message }).toEqual({ email, status: 400, message: expect.stringMatching(/to\.email must be one plain email address|longer than allowed/) });
    // …and through an automation whose send step takes the address from the event's data.
    const run = await herald.http.post('/automations/invoke').set(ws.auth).send({
      recipient: `victim-data-${i}`,
      data: { address: email },
      automation: { steps: [{ action: 'send', message: { to: { email: '${data.address}' }, template: 'mail' } }] },
    });
    expect(run.status).toBe(202);
    runs.push(run.body.runId);
  }
  for (const id of ids) {
    const message = await messageDecided(herald, ws.auth, id);
    expect({ id, status: message.status, reason: message.reason }).toEqual({ id, status: 'UNROUTABLE', reason: expect.stringMatching(/not one plain email address/) });
  }
  for (const runId of runs) {
    const run = await waitUntil(async () => {
      const r = (await herald.http.get(`/automations/runs/${runId}`).set(ws.auth)).body;
      return ['PROCESSED', 'ERROR'].includes(r.status) ? r : undefined;
    }, { what: `run ${runId} finished` });
    const sent = (await herald.http.get('/messages').query({ run_id: runId }).set(ws.auth)).body.items;
    expect({ runId, run: run.status, messages: sent.map((m: any) => [m.status, m.reason]) }).toEqual({
      runId, run: 'PROCESSED', messages: [['UNROUTABLE', expect.stringMatching(/not one plain email address/)]],
    });
  }
  expect(smtp.envelope).toEqual([]);
  expect(smtp.messages).toHaveLength(0);

  // A plain address still goes, to exactly that one recipient.
  const good = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { email: 'me@example.com' }, template: 'mail' } }).expect(202)).body.requestId;
  await waitUntil(async () => ['SENT', 'DELIVERED'].includes((await herald.http.get(`/messages/${good}`).set(ws.auth)).body.status), { what: 'the plain address sent' });
  expect(smtp.envelope).toEqual(['me@example.com']);
}, 60_000);

import nodemailer from 'nodemailer';
import type { ParsedMail } from 'mailparser';
import { UnsubscribeMailboxService } from '../../src/preferences/unsubscribe-mailbox.service';
import { messageDecided } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 13, the mailto: half of List-Unsubscribe (RFC 2369 / RFC 8058): with UNSUBSCRIBE_MAILBOX
 * set, emails of non-REQUIRED topics also name Herald's own unsubscribe mailbox, and mail to it
 * with the subject the header gives opts the user out (source `mail`). The mailbox is a real SMTP
 * listener in Herald, reached here with nodemailer as any MTA would.
 */
const MAILBOX = 'unsubscribe@herald.test';
let smtp: SmtpSink;
let herald: TestHerald;
let mailboxPort: number;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, SMTP_FROM: 'Herald <noreply@herald.test>', UNSUBSCRIBE_MAILBOX: MAILBOX, INBOUND_SMTP_PORT: '0' } });
  // What `herald api` / `herald start` do after the HTTP server listens; port 0 picks a free one.
  mailboxPort = (await herald.app.get(UnsubscribeMailboxService).start())!;
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

type Auth = Record<string, string>;
const decided = (auth: Auth, id: string) => messageDecided(herald, auth, id);

/** A header as sent (mailparser folds List-* headers into a structure), unfolded. */
const rawHeader = (mail: ParsedMail, name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n[ \t]+/g, ' ');

/** Sends to Herald's mailbox as an MTA would: plain SMTP on the listener's port. */
const mailbox = () => nodemailer.createTransport({ host: '127.0.0.1', port: mailboxPort, secure: false, ignoreTLS: true, connectionTimeout: 10_000 });

/** Sends `template` to `user` (whose address is <user>@example.com) and returns the email the sink got. */
async function emailTo(auth: Auth, user: string, template: string, subject: string): Promise<ParsedMail> {
  const message = await decided(auth, (await herald.http.post('/send').set(auth).send({ message: { to: { user_id: user }, template } }).expect(202)).body.requestId);
  expect(message.status).toBe('SENT');
  const to = `${user}@example.com`;
  return waitUntil(async () => smtp.messages.find((m) => m.subject === subject && (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.text.includes(to))), { what: `the email "${subject}" to ${to}` });
}

async function setup(auth: Auth, suffix: string) {
  await herald.http.put('/subscription-topics/tips').set(auth).send({ name: 'Tips', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.put('/subscription-topics/billing').set(auth).send({ name: 'Billing', default_status: 'REQUIRED' }).expect(200);
  await herald.http.put('/notifications/tip').set(auth).send({ name: 'Tip', subscription_topic_id: 'tips', channels: { email: { subject: `Tip ${suffix}`, text: 'Settings: {{ preferences_url }}' } } }).expect(200);
  await herald.http.put('/notifications/invoice').set(auth).send({ name: 'Invoice', subscription_topic_id: 'billing', channels: { email: { subject: `Invoice ${suffix}`, text: 'x' } } }).expect(200);
}

it('a non-REQUIRED email carries the https and mailto entries; mailing the mailto opts the user out (source mail) and the next send is FILTERED; REQUIRED has neither', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await setup(a, ws.id);
  await herald.http.put('/profiles/ana').set(a).send({ profile: { email: 'ana@example.com' } }).expect(200);
  await herald.http.put('/profiles/bob').set(a).send({ profile: { email: 'bob@example.com' } }).expect(200);

  const tip = await emailTo(a, 'ana', 'tip', `Tip ${ws.id}`);
  const header = rawHeader(tip, 'list-unsubscribe') ?? '';
  const entries = header.split(/\s*,\s*/);
  expect(entries).toHaveLength(2);
  expect(entries[0]).toMatch(/^<http:\/\/.+\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/);
  expect(entries[1]).toMatch(/^<mailto:unsubscribe@herald\.test\?subject=unsubscribe%20[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/);
  expect(rawHeader(tip, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
  const mailto = new URL(entries[1].slice(1, -1));
  expect(mailto.pathname).toBe(MAILBOX);
  const subject = mailto.searchParams.get('subject')!;
  // The mailto carries the one-click link's own token.
  expect(subject).toBe(`unsubscribe ${new URL(entries[0].slice(1, -1)).pathname.slice('/u/'.length)}`);

  const invoice = await emailTo(a, 'ana', 'invoice', `Invoice ${ws.id}`);
  expect(rawHeader(invoice, 'list-unsubscribe')).toBeUndefined();
  expect(rawHeader(invoice, 'list-unsubscribe-post')).toBeUndefined();

  // What a mail client does with the mailto: a mail to the address with that subject.
  const sent = await mailbox().sendMail({ from: 'ana@example.com', to: mailto.pathname, subject, text: 'Please unsubscribe me.' });
  expect(sent.accepted).toEqual([MAILBOX]);
  const pref = await waitUntil(async () => {
    const { body } = await herald.http.get('/users/ana/preferences/tips').set(a);
    return body.topic?.status === 'OPTED_OUT' ? body.topic : undefined;
  }, { what: 'ana opted out by mail' });
  expect(pref.source).toBe('mail');
  const changes = (await herald.http.get('/users/ana/preference-changes').set(a).expect(200)).body.items;
  expect(changes[0]).toMatchObject({ topic_id: 'tips', status: 'OPTED_OUT', previous_status: null, source: 'mail' });

  const next = await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'ana' }, template: 'tip' } }).expect(202)).body.requestId);
  expect({ status: next.status, reason: next.reason }).toEqual({ status: 'FILTERED', reason: 'UNSUBSCRIBED' });
  // Only ana, only that topic.
  expect((await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'bob' }, template: 'tip' } }).expect(202)).body.requestId)).status).toBe('SENT');
  expect((await herald.http.get('/users/ana/preferences/billing').set(a)).body.topic.status).toBe('REQUIRED');
});

it('a forged or garbled token is accepted and ignored (changes nothing); RCPT to another address is refused; an oversized message is refused', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await setup(a, ws.id);
  await herald.http.put('/profiles/cy').set(a).send({ profile: { email: 'cy@example.com' } }).expect(200);
  await herald.http.put('/profiles/di').set(a).send({ profile: { email: 'di@example.com' } }).expect(200);
  const tip = await emailTo(a, 'cy', 'tip', `Tip ${ws.id}`);
  const mailto = new URL((rawHeader(tip, 'list-unsubscribe') ?? '').split(/\s*,\s*/)[1].slice(1, -1));
  const token = mailto.searchParams.get('subject')!.replace(/^unsubscribe /, '');
  const [payload, sig] = token.split('.');

  // Cy's token moved to di (the signature no longer matches), a broken signature, garbage, no token.
  const toDi = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), u: 'di' })).toString('base64url');
  for (const subject of [`unsubscribe ${toDi}.${sig}`, `unsubscribe ${payload}.${sig.slice(0, -2)}xx`, 'unsubscribe not-a-token', 'unsubscribe', 'hello']) {
    const sent = await mailbox().sendMail({ from: 'someone@example.com', to: MAILBOX, subject, text: 'x' });
    expect(sent.accepted).toEqual([MAILBOX]);
  }
  // A token of the other kind (the preferences page's, from the same email) is not an unsubscribe token either.
  const preferencesToken = /\/p\/([A-Za-z0-9_.-]+)/.exec(tip.text ?? '')![1];
  expect((await mailbox().sendMail({ from: 'cy@example.com', to: MAILBOX, subject: `unsubscribe ${preferencesToken}`, text: 'x' })).accepted).toEqual([MAILBOX]);
  const changes = async (user: string) => (await herald.http.get(`/users/${user}/preference-changes`).set(a).expect(200)).body.items;
  expect(await changes('di')).toEqual([]);
  expect(await changes('cy')).toEqual([]);
  expect((await herald.http.get('/users/di/preferences/tips').set(a)).body.topic.status).toBe('OPTED_IN');
  expect((await decided(a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'di' }, template: 'tip' } }).expect(202)).body.requestId)).status).toBe('SENT');

  // Any other recipient: 550 at RCPT, and nothing is applied even with a valid subject.
  const refused = await mailbox().sendMail({ from: 'cy@example.com', to: 'postmaster@herald.test', subject: `unsubscribe ${token}`, text: 'x' }).catch((err) => err);
  expect(refused).toBeInstanceOf(Error);
  expect(refused.responseCode).toBe(550);
  expect(refused.rejected).toEqual(['postmaster@herald.test']);

  // A message above 64 KB: 552, nothing applied.
  const big = await mailbox().sendMail({ from: 'cy@example.com', to: MAILBOX, subject: `unsubscribe ${token}`, text: 'x'.repeat(70 * 1024) }).catch((err) => err);
  expect(big).toBeInstanceOf(Error);
  expect(big.responseCode).toBe(552);
  expect((await herald.http.get('/users/cy/preferences/tips').set(a)).body.topic.status).toBe('OPTED_IN');
  expect(await changes('cy')).toEqual([]);

  // The listener is still fine, and the real token still works after all that.
  await mailbox().sendMail({ from: 'cy@example.com', to: MAILBOX.toUpperCase(), subject: `unsubscribe ${token}`, text: 'x' });
  await waitUntil(async () => (await herald.http.get('/users/cy/preferences/tips').set(a)).body.topic?.status === 'OPTED_OUT', { what: 'cy opted out by mail' });
  expect((await changes('cy')).map((c: any) => c.source)).toEqual(['mail']);
});

it('without UNSUBSCRIBE_MAILBOX there is no mailto entry and no listener', async () => {
  const plain = await startTestHerald({ env: { SMTP_URL: smtp.url, SMTP_FROM: 'Herald <noreply@herald.test>' } });
  try {
    expect(await plain.app.get(UnsubscribeMailboxService).start()).toBeNull();
    const ws = await plain.newWorkspace();
    const a = ws.auth;
    await plain.http.put('/subscription-topics/tips').set(a).send({ name: 'Tips', default_status: 'OPTED_IN' }).expect(200);
    await plain.http.put('/notifications/tip').set(a).send({ name: 'Tip', subscription_topic_id: 'tips', channels: { email: { subject: `Plain ${ws.id}`, text: 'x' } } }).expect(200);
    await plain.http.put('/profiles/eve').set(a).send({ profile: { email: 'eve@example.com' } }).expect(200);
    const id = (await plain.http.post('/send').set(a).send({ message: { to: { user_id: 'eve' }, template: 'tip' } }).expect(202)).body.requestId;
    await messageDecided(plain, a, id);
    const mail = await waitUntil(async () => smtp.messages.find((m) => m.subject === `Plain ${ws.id}`), { what: 'the plain email' });
    expect(rawHeader(mail, 'list-unsubscribe')).toMatch(/^<http:\/\/[^,]+\/u\/[^,]+>$/);
  } finally {
    await plain.stop();
  }
});

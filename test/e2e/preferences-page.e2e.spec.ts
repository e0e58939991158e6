import type { ParsedMail } from 'mailparser';
import { messageDecided } from '../support/automations';
import { SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 13, the hosted preferences page: `{{ preferences_url }}` in any message to a user opens
 * GET /p/<token> (no login, no JavaScript) with the user's topics and a checkbox per topic they
 * may leave; the form's POST applies the changes (source `page`). The token is its own kind,
 * bound to workspace + user: the unsubscribe link's token, a tampered one or one moved to
 * another user is a 404 and changes nothing.
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

type Auth = Record<string, string>;

async function emailTo(auth: Auth, user: string, template: string, subject: string): Promise<ParsedMail> {
  const message = await messageDecided(herald, auth, (await herald.http.post('/send').set(auth).send({ message: { to: { user_id: user }, template } }).expect(202)).body.requestId);
  expect(message.status).toBe('SENT');
  return waitUntil(async () => smtp.messages.find((m) => m.subject === subject), { what: `the email "${subject}"` });
}

/** The form's fields as a browser would post them: a hidden `shown` per topic, `topic` for each checked box. */
function formOf(html: string): { shown: string[]; checked: string[] } {
  const shown = [...html.matchAll(/<input type="hidden" name="shown" value="([^"]*)">/g)].map((m) => m[1]);
  const checked = [...html.matchAll(/<input type="checkbox" name="topic" value="([^"]*)"( checked)?>/g)].filter((m) => m[2]).map((m) => m[1]);
  return { shown, checked };
}
const encode = (fields: Array<[string, string]>) => new URLSearchParams(fields).toString();

async function setup(a: Auth, suffix: string) {
  await herald.http.put('/subscription-topics/news').set(a).send({ name: 'News & <Updates>', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.put('/subscription-topics/beta').set(a).send({ name: 'Beta program', default_status: 'OPTED_OUT' }).expect(200);
  await herald.http.put('/subscription-topics/security').set(a).send({ name: 'Security alerts', default_status: 'REQUIRED' }).expect(200);
  // A message of a REQUIRED topic still links to the preferences page (it has no unsubscribe link).
  await herald.http.put('/notifications/alert').set(a).send({
    name: 'Alert', subscription_topic_id: 'security',
    channels: { email: { subject: `Alert ${suffix}`, text: 'Manage: {{ preferences_url }} / leave: [{{ unsubscribe_url }}]' } },
  }).expect(200);
  await herald.http.put('/notifications/news').set(a).send({ name: 'News', subscription_topic_id: 'news', channels: { email: { subject: `News ${suffix}`, text: 'Leave: {{ unsubscribe_url }} Manage: {{ preferences_url }}' } } }).expect(200);
}

it('{{ preferences_url }} renders in an email; GET shows the topics; the form POST toggles them (source page) and shows "saved"', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await setup(a, ws.id);
  await herald.http.put('/profiles/pia').set(a).send({ profile: { email: 'pia@example.com' } }).expect(200);

  const mail = await emailTo(a, 'pia', 'alert', `Alert ${ws.id}`);
  const url = /(http:\/\/\S+\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1];
  expect(url).toBeDefined();
  expect(mail.text).toContain('leave: []'); // REQUIRED: no unsubscribe_url
  const path = new URL(url!).pathname;

  const page = await herald.http.get(path);
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
  expect(page.headers['cache-control']).toBe('no-store');
  expect(page.text).toContain('<form method="post"');
  expect(page.text).not.toContain('<script');
  // Names are escaped; REQUIRED topics are listed without a checkbox.
  expect(page.text).toContain('News &#38; &#60;Updates&#62;');
  expect(page.text).not.toContain('<Updates>');
  expect(page.text).toContain('Security alerts');
  expect(formOf(page.text)).toEqual({ shown: ['beta', 'news'], checked: ['news'] });
  expect(page.text).not.toMatch(/value="security"/);
  // GET changes nothing.
  expect((await herald.http.get('/users/pia/preference-changes').set(a)).body.items).toEqual([]);

  // Opt into beta, out of news; a made-up topic and the REQUIRED one in the form are ignored.
  const saved = await herald.http.post(path).type('form').send(encode([
    ['shown', 'beta'], ['shown', 'news'], ['shown', 'security'], ['shown', 'nope'], ['topic', 'beta'], ['topic', 'nope'],
  ]));
  expect(saved.status).toBe(200);
  expect(saved.text).toMatch(/Saved\./);
  expect(formOf(saved.text)).toEqual({ shown: ['beta', 'news'], checked: ['beta'] });
  const prefs = Object.fromEntries(((await herald.http.get('/users/pia/preferences').set(a)).body.items as any[]).map((p) => [p.topic_id, [p.status, p.source]]));
  expect(prefs).toEqual({ beta: ['OPTED_IN', 'page'], news: ['OPTED_OUT', 'page'], security: ['REQUIRED', null] });
  const changes = (await herald.http.get('/users/pia/preference-changes').set(a)).body.items.map((c: any) => [c.topic_id, c.status, c.source]);
  expect(changes.sort()).toEqual([['beta', 'OPTED_IN', 'page'], ['news', 'OPTED_OUT', 'page']]);
  expect((await herald.http.get('/subscription-topics/nope').set(a)).status).toBe(404);

  // Saving the same form again changes nothing (no new history rows); a topic the page did not show is left alone.
  await herald.http.put('/subscription-topics/later').set(a).send({ name: 'Later', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.post(path).type('form').send(encode([['shown', 'beta'], ['shown', 'news'], ['topic', 'beta']])).expect(200);
  expect((await herald.http.get('/users/pia/preference-changes').set(a)).body.items).toHaveLength(2);
  expect((await herald.http.get('/users/pia/preferences/later').set(a)).body.topic).toMatchObject({ status: 'OPTED_IN', source: null });

  // The opt-out from the page holds at send time.
  const next = await messageDecided(herald, a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pia' }, template: 'news' } }).expect(202)).body.requestId);
  expect({ status: next.status, reason: next.reason }).toEqual({ status: 'FILTERED', reason: 'UNSUBSCRIBED' });

  // Custom routing the user chose survives a toggle from the page.
  await herald.http.put('/users/pia/preferences/beta').set(a).send({ topic: { status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['email'] } }).expect(200);
  await herald.http.post(path).type('form').send(encode([['shown', 'beta'], ['shown', 'news']])).expect(200);
  expect((await herald.http.get('/users/pia/preferences/beta').set(a)).body.topic).toMatchObject({ status: 'OPTED_OUT', has_custom_routing: true, custom_routing: ['email'], source: 'page' });
});

it('the unsubscribe token on /p/, a tampered token or one moved to another user is a 404 and changes nothing; a bad body is refused', async () => {
  const ws = await herald.newWorkspace();
  const a = ws.auth;
  await setup(a, ws.id);
  await herald.http.put('/profiles/quinn').set(a).send({ profile: { email: 'quinn@example.com' } }).expect(200);
  await herald.http.put('/profiles/rue').set(a).send({ profile: { email: 'rue@example.com' } }).expect(200);

  const mail = await emailTo(a, 'quinn', 'news', `News ${ws.id}`);
  const unsubscribePath = new URL(/(http:\/\/\S+\/u\/\S+?) Manage/.exec(mail.text ?? '')![1]).pathname;
  const preferencesPath = new URL(/(http:\/\/\S+\/p\/[A-Za-z0-9_.-]+)/.exec(mail.text ?? '')![1]).pathname;
  const unsubscribeToken = unsubscribePath.slice('/u/'.length);
  const [payload, sig] = preferencesPath.slice('/p/'.length).split('.');
  const toRue = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), u: 'rue' })).toString('base64url');
  const form = encode([['shown', 'news'], ['shown', 'beta'], ['topic', 'beta']]);

  const refusedTokens = [
    unsubscribeToken, // the other kind of token
    `${toRue}.${sig}`, // moved to another user
    `${payload}.${sig.slice(0, -2)}xx`, // tampered signature
    `${payload}x.${sig}`, // tampered claims
    'garbage',
    `${payload}.${sig}.extra`,
  ];
  for (const token of refusedTokens) {
    expect((await herald.http.get(`/p/${token}`)).status).toBe(404);
    expect((await herald.http.post(`/p/${token}`).type('form').send(form)).status).toBe(404);
  }
  // And the preferences token is not an unsubscribe token.
  expect((await herald.http.get(`/u/${payload}.${sig}`)).status).toBe(404);
  expect((await herald.http.post(`/u/${payload}.${sig}`).type('form').send('List-Unsubscribe=One-Click')).status).toBe(404);
  for (const user of ['quinn', 'rue']) expect((await herald.http.get(`/users/${user}/preference-changes`).set(a)).body.items).toEqual([]);

  // The real token: a JSON body is not the form (415), an oversized form is refused (413); nothing changes.
  expect((await herald.http.post(preferencesPath).send({ shown: ['news'] })).status).toBe(415);
  expect((await herald.http.post(preferencesPath).type('form').send(`shown=news&pad=${'x'.repeat(20 * 1024)}`)).status).toBe(413);
  expect((await herald.http.get('/users/quinn/preference-changes').set(a)).body.items).toEqual([]);

  // The real token works, for quinn only.
  await herald.http.post(preferencesPath).type('form').send(form).expect(200);
  expect((await herald.http.get('/users/quinn/preferences/news').set(a)).body.topic).toMatchObject({ status: 'OPTED_OUT', source: 'page' });
  expect((await herald.http.get('/users/rue/preferences/news').set(a)).body.topic).toMatchObject({ status: 'OPTED_IN', source: null });
});

import type { Page } from 'playwright-core';
import { startTwilioSink } from '../support/sms-provider-sinks';
import { studioHarness } from '../support/studio-browser';
import { waitUntil } from '../support/wait-until';

/**
 * The Studio's providers page and the sms/push/chat previews, in Chromium against a real Herald
 * and a Twilio sink: a provider created, listed with its secret masked, edited (the secret kept),
 * test-sent through (ok, and a refused number), refused with the API's 400, and deleted.
 */
const SID = `AC${'c'.repeat(32)}`;
const TOKEN = 'studio-token-0123456789abcdef';

// Test sends reach the sink on 127.0.0.1.
const harness = studioHarness({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' } });
let sink: Awaited<ReturnType<typeof startTwilioSink>>;
beforeAll(async () => {
  sink = await startTwilioSink({ accountSid: SID, authToken: TOKEN });
});
afterAll(async () => {
  await sink?.close();
});

const signIn = (key: string) => harness.signIn(key);
const go = (page: Page, hash: string) => harness.go(page, hash);
const shot = (page: Page, name: string) => harness.shot(page, name);

/** Everything the page shows or holds: its text, its HTML, and the values of its fields. */
async function pageContents(page: Page): Promise<string> {
  const [text, markup, values] = await Promise.all([
    page.evaluate('document.body.innerText') as Promise<string>,
    page.content(),
    page.evaluate('[...document.querySelectorAll("input, textarea, select")].map((e) => e.value).join("\\n")') as Promise<string>,
  ]);
  return `${text}\n${markup}\n${values}`;
}

describe('Studio providers', () => {
  it('creates a Twilio provider, lists it masked, edits it keeping the secret, test-sends, shows a 400, deletes it', async () => {
    const herald = harness.herald;
    const ws = await herald.newWorkspace();
    const { page, errors } = await signIn(ws.key);
    await go(page, '#/providers');
    await page.getByRole('heading', { name: 'Providers', exact: true }).waitFor();
    await page.locator('nav.nav a.active', { hasText: 'Providers' }).waitFor();
    await page.locator('[data-channel-providers=sms] .empty').waitFor();

    // Create through the form.
    await page.selectOption('#provider-channel', 'sms');
    await page.selectOption('#provider-kind', 'twilio');
    await page.fill('#provider-id', 'twilio-studio');
    await page.fill('#provider-priority', '20');
    await page.fill('#provider-rate', '5');
    await page.fill('#provider-config', JSON.stringify({ account_sid: SID, auth_token: TOKEN, from: '+15005550006', api_base_url: sink.url }, null, 2));
    await page.click('form[aria-label="Add a provider"] button[type=submit]');
    const row = page.locator('[data-channel-providers=sms] tr[data-provider-id="twilio-studio"]');
    await row.waitFor();
    await page.getByRole('status').filter({ hasText: 'Saved provider twilio-studio' }).waitFor();
    expect(await row.locator('[data-col=provider]').innerText()).toBe('twilio');
    expect(await row.locator('[data-col=priority]').innerText()).toBe('20');
    expect(await row.locator('[data-col=rate-limit]').innerText()).toBe('5 msg/s');
    expect(await row.locator('[data-col=enabled]').innerText()).toBe('enabled');
    expect(await row.locator('[data-col=config]').innerText()).toContain('"auth_token": "stud…"');
    // The form goes on as "Edit", prefilled with what the API stored: the secret masked.
    await page.locator('form[aria-label="Edit provider twilio-studio"]').waitFor();
    expect(await page.inputValue('#provider-config')).toContain('"auth_token": "stud…"');
    expect(await pageContents(page)).not.toContain(TOKEN);
    await shot(page, 'providers');

    // Edit the priority; the masked secret saved back keeps the stored one.
    await row.locator('[data-action=edit]').click();
    await page.fill('#provider-priority', '5');
    await page.click('form[aria-label="Edit provider twilio-studio"] button[type=submit]');
    await page.locator('tr[data-provider-id="twilio-studio"][data-priority="5"]').waitFor();
    expect((await herald.http.get('/providers/twilio-studio').set(ws.auth).expect(200)).body).toMatchObject({ priority: 5, rate_limit: 5, config: { auth_token: 'stud…' } });
    expect(await pageContents(page)).not.toContain(TOKEN);

    // A test send: ok with Twilio's SM… id (so the kept secret authenticated), and the sink has it.
    await row.locator('[data-action=test]').click();
    const form = page.locator('form[data-test-send="twilio-studio"]');
    await form.getByLabel('Phone number (E.164)').fill('+14155550123');
    await form.getByLabel('Text', { exact: true }).fill('Hello from the Studio');
    await form.locator('button[type=submit]').click();
    const result = page.locator('[data-test-result="twilio-studio"]');
    await result.waitFor();
    expect(await result.getAttribute('data-ok')).toBe('true');
    const sid = await result.locator('[data-col=provider-message-id]').innerText();
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(await result.innerText()).toContain('ok');
    await waitUntil(async () => sink.requests.some((r) => r.body.To === '+14155550123'), { what: 'the sink received the test send' });
    expect(sink.requests.filter((r) => r.body.To === '+14155550123').map((r) => r.body)).toEqual([expect.objectContaining({ From: '+15005550006', Body: 'Hello from the Studio' })]);
    await shot(page, 'providers-test-send');

    // A number the provider refuses: the recipient error, not a failover.
    sink.refuse('+14155550199');
    await form.getByLabel('Phone number (E.164)').fill('+14155550199');
    await form.locator('button[type=submit]').click();
    await page.locator('[data-test-result="twilio-studio"][data-ok="false"]').waitFor();
    expect(await result.locator('[data-col=error-kind]').innerText()).toContain('recipient');
    expect(await result.locator('[data-col=error]').innerText()).toMatch(/code 21211/);
    expect(await result.locator('[data-col=response]').innerText()).toContain('not a valid phone number');

    // A bad config: the API's 400 message, naming the field.
    await row.locator('[data-action=edit]').click();
    await page.fill('#provider-config', JSON.stringify({ account_sid: 'ACnope', auth_token: 'stud…', from: '+15005550006', api_base_url: sink.url }));
    await page.click('form[aria-label="Edit provider twilio-studio"] button[type=submit]');
    const alert = page.locator('#provider-form [role=alert]');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/config\.account_sid: account_sid is AC followed by 32 hex digits/);
    expect((await herald.http.get('/providers/twilio-studio').set(ws.auth).expect(200)).body.config.account_sid).toBe(SID);
    await shot(page, 'providers-save-error');

    // Delete, confirmed in place.
    await row.locator('[data-action=delete]').click();
    await row.locator('[data-action=confirm-delete]').click();
    await row.waitFor({ state: 'detached' });
    await page.locator('[data-channel-providers=sms] .empty').waitFor();
    expect((await herald.http.get('/providers/twilio-studio').set(ws.auth)).status).toBe(404);
    expect(errors).toEqual([]);
  }, 120_000);

  it('previews sms (with segments), push and chat templates with the Liquid variables filled in', async () => {
    const herald = harness.herald;
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/order-ready').set(ws.auth).send({
      name: 'Order ready',
      channels: {
        sms: { text: 'Hi {{ profile.name }}, order {{ data.order }} is ready. Code {{ data.code }}' },
        push: { title: 'Order {{ data.order }}', body: 'Ready for you, {{ profile.name }}', data: { order: '{{ data.order }}', screen: 'orders' } },
        chat: { text: 'Order *{{ data.order }}* is ready for {{ profile.name }}', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Order {{ data.order }}' } }] },
      },
    }).expect(200);
    const { page, errors } = await signIn(ws.key);
    await go(page, '#/notifications/order-ready');
    await page.locator('[data-notification="order-ready"]').waitFor();
    await page.fill('#sample', JSON.stringify({ data: { order: 'A-17', code: '4711' }, profile: { name: 'Ada' }, recipient: 'ada' }));

    const sms = page.locator('[data-preview="sms-text"]');
    await sms.filter({ hasText: 'Hi Ada, order A-17 is ready. Code 4711' }).waitFor();
    const count = page.locator('[data-preview="sms-count"]');
    expect(await count.getAttribute('data-chars')).toBe(String('Hi Ada, order A-17 is ready. Code 4711'.length));
    expect(await count.getAttribute('data-segments')).toBe('1');
    expect(await page.locator('[data-preview="push-title"]').innerText()).toBe('Order A-17');
    expect(await page.locator('[data-preview="push-body"]').innerText()).toBe('Ready for you, Ada');
    expect(JSON.parse(await page.locator('[data-preview="push-data"]').innerText())).toEqual({ order: 'A-17', screen: 'orders' });
    expect(await page.locator('[data-preview="chat-text"]').innerText()).toBe('Order *A-17* is ready for Ada');
    expect(JSON.parse(await page.locator('[data-preview="chat-blocks"]').innerText())).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'Order A-17' } }]);
    await shot(page, 'notification-previews-sms-push-chat');

    // A longer text is counted in concatenated segments of 153.
    await page.fill('#sample', JSON.stringify({ data: { order: 'x'.repeat(200), code: '1' }, profile: { name: 'Ada' } }));
    await page.locator('[data-preview="sms-count"][data-segments="2"]').waitFor();
    expect(errors).toEqual([]);
  }, 120_000);

  it("a message's page shows every provider attempt (the failed one and the failover) and the SMS as sent", async () => {
    const herald = harness.herald;
    const ws = await herald.newWorkspace();
    const twilio = (id: string, priority: number) => herald.http.put(`/providers/${id}`).set(ws.auth).send({
      channel: 'sms', provider: 'twilio', priority, max_attempts: 1, config: { account_sid: SID, auth_token: TOKEN, from: '+15005550006', api_base_url: sink.url },
    }).expect(200);
    await twilio('first', 1);
    await twilio('second', 2);
    await herald.http.put('/notifications/code').set(ws.auth).send({ name: 'Code', channels: { sms: { text: 'Your code is {{ data.code }}' } } }).expect(200);
    sink.failNext(1, 503, { code: 20500, message: 'Internal Server Error', status: 503 });
    const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { phone_number: '+14155550177' }, template: 'code', data: { code: '2468' } } }).expect(202)).body.requestId;
    await waitUntil(async () => (await herald.http.get(`/messages/${id}`).set(ws.auth)).body.status === 'SENT', { what: 'the SMS sent through the second provider' });

    const { page, errors } = await signIn(ws.key);
    await go(page, `#/messages/${encodeURIComponent(id)}`);
    const attempts = page.locator('section[aria-label="Provider attempts"] tr[data-attempt]');
    await attempts.nth(1).waitFor();
    expect(await attempts.count()).toBe(2);
    const [failed, accepted] = [attempts.nth(0), attempts.nth(1)];
    expect(await failed.getAttribute('data-attempt-provider')).toBe('first');
    expect(await failed.getAttribute('data-attempt-state')).toBe('failed');
    expect(await failed.locator('[data-col=status-code]').innerText()).toBe('503');
    expect(await failed.locator('[data-col=answer]').innerText()).toMatch(/503/);
    expect(await accepted.getAttribute('data-attempt-provider')).toBe('second');
    expect(await accepted.getAttribute('data-attempt-state')).toBe('accepted');
    expect(await accepted.locator('[data-col=answer]').innerText()).toMatch(/SM[0-9a-f]{32}/);
    await page.locator('[data-channel=sms] [data-output=text]').filter({ hasText: 'Your code is 2468' }).waitFor();
    await shot(page, 'message-provider-attempts');
    expect(errors).toEqual([]);
  }, 120_000);
});

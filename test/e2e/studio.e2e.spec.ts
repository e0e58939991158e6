import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { messageDecided, publishedTemplate } from '../support/automations';
import { studioHarness, type Studio } from '../support/studio-browser';
import type { TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * The Studio end to end: the pages served at /studio, driven in a real Chromium against a real
 * Herald (Postgres + Temporal + worker). API calls here only set up data the pages do not
 * create, and post inbound events as RudderStack would.
 */

const harness = studioHarness();
const { openStudio, signIn, shot, go, expectNoPageErrors } = harness;
let herald: TestHerald;
let base: string;
beforeAll(() => {
  herald = harness.herald;
  base = harness.base;
});

type Auth = Record<string, string>;
const enc = encodeURIComponent;

async function postEvent(auth: Auth, body: Record<string, unknown>): Promise<string> {
  const messageId = randomUUID();
  await herald.http.post('/inbound/rudderstack').set(auth).send({ messageId, ...body }).expect(202);
  return messageId;
}


describe('Studio', () => {
  it('signs in with an API key: a wrong key is refused, the right one is kept for the session only, sign out forgets it', async () => {
    const ws = await herald.newWorkspace();
    const studio = await openStudio();
    const { page } = studio;
    await page.waitForSelector('#api-key');
    expect(page.url()).toContain('#/signin');

    await page.fill('#api-key', 'hk_not-a-real-key');
    await page.click('form[aria-label="Sign in"] button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'That key was not accepted.' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await shot(page, 'signin');

    await page.fill('#api-key', ws.key);
    await page.click('form[aria-label="Sign in"] button[type=submit]');
    await page.waitForSelector('nav.nav');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor(); // the first page
    expect(page.url()).toContain('#/dashboard');
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([ws.key]);
    expect(await page.evaluate('Object.values(localStorage)')).toEqual([]);

    // The session survives a reload; a new tab (new session) must sign in again.
    await page.reload();
    await page.waitForSelector('nav.nav');
    const other = await openStudio();
    await other.page.waitForSelector('#api-key');

    await page.click('a.signout');
    await page.waitForSelector('#api-key');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expectNoPageErrors(studio);
  });

  it('an inbound event appears in the catalog, is linked to an automation made in the editor, and the next event runs it to completion; replay, unlink and the message timeline', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/hello').set(ws.auth).send({
      name: 'Hello',
      channels: {
        inbox: { title: 'Hello {{ profile.name }}', body: 'Your plan is {{ data.properties.plan }}' },
        email: { subject: 'Welcome, {{ profile.name }}', html: '<p>Hi <b>{{ profile.name }}</b></p>' },
      },
      routing: { method: 'single', channels: ['inbox'] },
    }).expect(200);
    await herald.http.put('/profiles/ada').set(ws.auth).send({ profile: { name: 'Ada' } }).expect(200);

    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/integration'); // the first page is the dashboard
    expect(await page.inputValue('input[aria-label="Inbound endpoint URL"]')).toBe(`${base}/inbound/rudderstack`);

    // RudderStack posts an event; the catalog (refreshing itself) shows it once processed.
    const first = await postEvent(ws.auth, { type: 'track', userId: 'ada', event: 'Signed Up', properties: { plan: 'pro' } });
    const row = page.locator('tr[data-event-id="track/Signed Up"]');
    await row.locator('[data-col=count]', { hasText: /^1$/ }).waitFor();
    expect(await row.locator('[data-col=links]').innerText()).toContain('none');
    await shot(page, 'integration-catalog');

    // An automation, written in the editor: a bad step is shown at that step.
    await page.click('nav >> text=Automations');
    await page.click('text=New automation');
    await page.fill('#name', 'Welcome Ada');
    await page.click('[role=tab]:has-text("JSON")');
    await page.fill('#steps', JSON.stringify([{ action: 'send', template: 'hello' }, { action: 'delay', duration: 'whenever' }], null, 2));
    await page.click('button:has-text("Save draft")');
    await page.locator('[data-json-problem="1"]', { hasText: 'duration' }).waitFor();
    expect(await page.locator('[data-json-problem="0"]').count()).toBe(0);
    // The same error, at its node in the flow.
    await page.click('[role=tab]:has-text("Flow")');
    const badStep = page.locator('[data-node-path="1"]');
    expect(await badStep.getAttribute('class')).toContain('has-error');
    await page.locator('[data-errors-for="1"]', { hasText: 'duration' }).waitFor();
    expect(await page.locator('[data-node-path="0"]').getAttribute('class')).not.toContain('has-error');
    expect((await herald.http.get('/automations').set(ws.auth)).body.items).toEqual([]); // nothing was saved
    await shot(page, 'automation-editor-error');

    await page.click('[role=tab]:has-text("JSON")');
    await page.fill('#steps', JSON.stringify([{ action: 'send', template: 'hello' }], null, 2));
    await page.click('button:has-text("Publish")');
    await page.click('[data-confirm-publish]');
    await page.waitForSelector('[data-published="1"]');
    await page.locator('[data-version="1"]').waitFor();
    const templateId = page.url().split('#/automations/')[1];
    expect((await herald.http.get(`/automations/${templateId}`).set(ws.auth)).body).toMatchObject({ name: 'Welcome Ada', published_version: 1 });
    await shot(page, 'automation-editor');

    await page.click('nav >> text=Automations');
    await page.locator(`tr[data-template-id="${templateId}"]`, { hasText: 'v1' }).waitFor();
    await page.locator('tr[data-sequence="welcome"]').waitFor();
    await shot(page, 'automations');

    // Link the event to it with "+".
    await page.click('nav >> text=RudderStack');
    await row.locator('button.plus').click();
    await page.selectOption('#link-target', { label: 'Welcome Ada (v1)' });
    await shot(page, 'integration-link-panel');
    await page.click('form[aria-label="Link an existing automation"] button[type=submit]');
    await row.locator(`.chip[data-target="${templateId}"]`, { hasText: 'Welcome Ada' }).waitFor();
    await shot(page, 'integration-catalog-linked');
    expect((await herald.http.get(`/inbound/events/${enc('track/Signed Up')}/automations`).set(ws.auth)).body.items).toEqual([
      { target: templateId, type: 'template', name: 'Welcome Ada' },
    ]);

    // The next event starts a run: it shows in the event log, then in the runs list, completing.
    const second = await postEvent(ws.auth, { type: 'track', userId: 'ada', event: 'Signed Up', properties: { plan: 'pro' } });
    await page.click('.tabs >> text=Event log');
    const logRow = page.locator(`tr[data-message-id="${second}"]`);
    await logRow.locator('[data-col=status] [data-status=processed]').waitFor();
    const runLink = logRow.locator('[data-col=runs] a');
    const runId = (await runLink.getAttribute('href'))!.split('#/runs/')[1];
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator(`tr[data-message-id="${first}"] [data-status=unmapped]`).waitFor();
    await shot(page, 'event-log');

    await page.click('nav >> text=Runs');
    const runRow = page.locator(`tr[data-run-id="${runId}"]`);
    await runRow.waitFor();
    expect(await runRow.innerText()).toContain('Welcome Ada');
    await runRow.locator('[data-col=status] [data-status=PROCESSED]').waitFor();
    await shot(page, 'runs');

    await runRow.locator(`a[href="#/runs/${runId}"]`).click();
    await page.waitForSelector('[data-run-status=PROCESSED]');
    await page.locator('[data-node-path="0"][data-node-status=PROCESSED]').waitFor();
    await page.click('[data-run-steps] [role=tab]:has-text("Timeline")');
    await page.locator('ol.timeline li[data-path="0"][data-step-status=PROCESSED]', { hasText: 'send' }).waitFor();
    const temporalHref = await page.getAttribute('a[data-temporal-link]', 'href');
    expect(temporalHref).toBe(`http://localhost:8233/namespaces/default/workflows/${enc(`run:${ws.id}:${runId}`)}`);
    expect(await page.isDisabled('button:has-text("Cancel run")')).toBe(true);
    await shot(page, 'run');

    // The message the run sent, and its timeline.
    const messageLink = page.locator('ol.timeline a[data-message-link]');
    const messageId = await messageLink.innerText();
    expect(messageId).toBe(`${runId}:0`);
    await messageLink.click();
    await page.locator('li[data-history-status=DELIVERED]').waitFor();
    const history = await page.locator('ol.timeline[aria-label="Message history"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-history-status')));
    expect(history).toEqual(['ENQUEUED', 'SENT', 'DELIVERED']);
    // What was sent, as Herald rendered it (GET /messages/{id}/output), not the template re-rendered.
    await page.locator('[data-channel=inbox][data-output-status=accepted] [data-output=title]', { hasText: 'Hello Ada' }).waitFor();
    expect(await page.locator('[data-channel=inbox] [data-output=body]').innerText()).toBe('Your plan is pro');
    expect((await herald.http.get(`/messages/${enc(messageId)}/output`).set(ws.auth)).body).toEqual({
      results: [{ channel: 'inbox', channel_id: 'inbox', content: { title: 'Hello Ada', body: 'Your plan is pro', action_url: null }, status: 'accepted', error: null }],
    });
    await shot(page, 'message');

    await page.click('nav >> text=Messages');
    await page.locator(`tr[data-message-id="${messageId}"] [data-status=DELIVERED]`).waitFor();
    await shot(page, 'messages');

    await page.click('nav >> text=Notification templates');
    await page.locator('tr[data-notification-id=hello]').waitFor();
    await shot(page, 'notifications');
    await page.click('tr[data-notification-id=hello] >> text=preview');
    // The sample context starts with every variable the template uses; editing it changes the preview.
    await page.locator('[data-channel=inbox] [data-preview=inbox-title]', { hasText: 'Hello ‹profile.name›' }).waitFor();
    expect(await page.locator('[data-channel=inbox] [data-preview=inbox-body]').innerText()).toBe('Your plan is ‹data.properties.plan›');
    await page.fill('#sample', JSON.stringify({ profile: { name: 'Grace' }, data: { properties: { plan: 'team' } } }));
    await page.locator('[data-channel=inbox] [data-preview=inbox-title]', { hasText: 'Hello Grace' }).waitFor();
    expect(await page.locator('[data-channel=inbox] [data-preview=inbox-body]').innerText()).toBe('Your plan is team');
    expect(await page.locator('[data-channel=email] [data-preview=email-subject]').innerText()).toBe('Welcome, Grace');
    // The email HTML is shown in a sandboxed frame (no scripts), with the values escaped.
    const frame = page.locator('[data-channel=email] iframe');
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await frame.getAttribute('srcdoc')).toBe('<p>Hi <b>Grace</b></p>');
    await shot(page, 'notification');

    // Replay the first (unmapped) event: today's link runs it.
    await go(page, '#/integration/log');
    const replay = page.locator(`tr[data-message-id="${first}"] [data-replay]`);
    await replay.locator('button').click();
    const replayLink = replay.locator('.replay-result a');
    await replayLink.waitFor();
    const replayRunId = (await replayLink.getAttribute('href'))!.split('#/runs/')[1];
    await waitUntil(async () => (await herald.http.get(`/automations/runs/${replayRunId}`).set(ws.auth)).body.status === 'PROCESSED', { what: 'replayed run' });
    expect((await herald.http.get(`/automations/runs/${replayRunId}`).set(ws.auth)).body.source).toBe('replay/track/Signed Up');

    // Unlink.
    await page.click('.tabs >> text=Event catalog');
    await row.locator(`.chip[data-target="${templateId}"] button`).click();
    await row.locator('[data-col=links]', { hasText: 'none' }).waitFor();
    expect((await herald.http.get(`/inbound/events/${enc('track/Signed Up')}/automations`).set(ws.auth)).body.items).toEqual([]);

    // Every API call the pages made went to the public API with the key, and lists were paged.
    expect(studio.requests.filter((r) => r.startsWith('GET /inbound/events?')).every((r) => /limit=\d+/.test(r))).toBe(true);
    expect(studio.requests.filter((r) => r.startsWith('GET /automations/runs?')).every((r) => /limit=\d+/.test(r))).toBe(true);
    expectNoPageErrors(studio);
  }, 180_000);

  it('creates a new automation from an event with "+", and invokes it with test data', async () => {
    const ws = await herald.newWorkspace();
    await postEvent(ws.auth, { type: 'track', userId: 'cy', event: 'Trial Ended' });
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/integration'); // the first page is the dashboard
    const row = page.locator('tr[data-event-id="track/Trial Ended"]');
    await row.waitFor();
    await row.locator('button.plus').click();
    await page.fill('#new-name', 'Trial follow-up');
    await page.click('button:has-text("Create and edit")');
    await page.waitForSelector('h1:has-text("Trial follow-up")');
    const templateId = page.url().split('#/automations/')[1];
    expect((await herald.http.get(`/inbound/events/${enc('track/Trial Ended')}/automations`).set(ws.auth)).body.items).toEqual([
      { target: templateId, type: 'template', name: 'Trial follow-up' },
    ]);
    expect(await page.locator('.sub a', { hasText: 'track/Trial Ended' }).count()).toBe(1);

    // Invoking before publishing says why it cannot run.
    await page.click('form[aria-label="Invoke with test data"] button[type=submit]');
    await page.locator('form[aria-label="Invoke with test data"] .error').waitFor();

    await page.click('[role=tab]:has-text("JSON")');
    await page.fill('#steps', JSON.stringify([{ action: 'update-profile', recipient_id: '${data.who}', profile: { trial: '${data.result}' }, merge: 'overwrite' }]));
    await page.click('button:has-text("Publish")');
    await page.click('[data-confirm-publish]');
    await page.waitForSelector('[data-published="1"]');
    await page.fill('#invoke-recipient', 'cy');
    await page.fill('#invoke-data', '{"who":"cy","result":"ended"}');
    await page.click('form[aria-label="Invoke with test data"] button[type=submit]');
    const invoked = page.locator('a[data-invoked-run]');
    await invoked.waitFor();
    await invoked.click();
    await page.waitForSelector('[data-run-status=PROCESSED]');
    expect((await herald.http.get('/profiles/cy').set(ws.auth)).body.profile).toMatchObject({ trial: 'ended' });
    expectNoPageErrors(studio);
  }, 120_000);

  it('cancels a waiting run from its page', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, {
      name: 'Long wait', steps: [{ action: 'delay', duration: '2 hours' }, { action: 'send', template: 'later' }],
    });
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, `#/automations/${id}`);
    await page.fill('#invoke-recipient', 'bob');
    await page.click('form[aria-label="Invoke with test data"] button[type=submit]');
    await page.locator('a[data-invoked-run]').click();
    await page.waitForSelector('[data-run-status=WAITING]');
    const runId = page.url().split('#/runs/')[1];
    await page.locator('[data-node-path="0"][data-node-status=WAITING]').waitFor();
    await page.click('[data-run-steps] [role=tab]:has-text("Timeline")');
    await page.locator('ol.timeline li[data-path="0"][data-step-status=WAITING]').waitFor();
    await shot(page, 'run-waiting');

    await page.click('button:has-text("Cancel run")');
    await page.waitForSelector('[data-run-status=CANCELED]');
    await page.locator('ol.timeline li[data-path="0"][data-step-status=CANCELED]').waitFor();
    await page.locator('ol.timeline li[data-path="1"][data-step-status="NOT PROCESSED"]').waitFor();
    expect(await page.isDisabled('button:has-text("Cancel run")')).toBe(true);
    expect((await herald.http.get(`/automations/runs/${runId}`).set(ws.auth)).body.status).toBe('CANCELED');
    await shot(page, 'run-canceled');

    // The runs list filters by status and template.
    await go(page, `#/runs?status=CANCELED&template_id=${id}`);
    await page.locator(`tr[data-run-id="${runId}"] [data-status=CANCELED]`).waitFor();
    await go(page, '#/runs?status=WAITING');
    await page.locator('.empty', { hasText: 'No runs match' }).waitFor();
    expectNoPageErrors(studio);
  }, 120_000);

  it('outbound settings: saved from the page, the write key shown masked', async () => {
    const ws = await herald.newWorkspace();
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/integration'); // the first page is the dashboard
    await page.click('.tabs >> text=Outbound settings');
    await page.locator('[data-outbound=none]').waitFor();
    await page.fill('#write-key', 'wk_super_secret_2RJk8');
    await page.fill('#data-plane', 'https://dataplane.example.com');
    await page.uncheck('form[aria-label="Outbound settings"] input[type=checkbox] >> nth=0');
    await page.click('form[aria-label="Outbound settings"] button[type=submit]');
    await page.locator('[data-field=data_plane_url]', { hasText: 'https://dataplane.example.com' }).waitFor();
    const shown = await page.locator('[data-field=write_key]').innerText();
    expect(shown).not.toContain('wk_super_secret_2RJk8');
    expect(shown.length).toBeGreaterThan(0);
    expect(await page.locator('[data-field=enabled]').innerText()).toBe('no');
    expect((await herald.http.get('/integrations/rudderstack').set(ws.auth)).body).toMatchObject({ data_plane_url: 'https://dataplane.example.com', enabled: false });
    expect(await page.content()).not.toContain('wk_super_secret_2RJk8');
    await shot(page, 'integration-settings');
    expectNoPageErrors(studio);
  });

  it('stays paged at 10,000 rows: the event log and catalog show one page and load the next on demand', async () => {
    const ws = await herald.newWorkspace();
    // 10,000 logged events over 10,000 event ids (inserted directly: ingesting them would only slow the test).
    await herald.db.query(
      `INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, state, outcome, processed_at)
       SELECT $1, 'm-' || i, 'track', 'track/Event ' || lpad(i::text, 5, '0'), 'user-' || (i % 100),
              jsonb_build_object('type', 'track', 'event', 'Event ' || lpad(i::text, 5, '0'), 'userId', 'user-' || (i % 100)),
              'accepted', 'processed', now()
       FROM generate_series(1, 10000) AS i`,
      [ws.id],
    );
    await herald.db.query(
      `INSERT INTO inbound_event_types (workspace_id, event_id, type, count, first_seen_at, last_seen_at, sample)
       SELECT $1, 'track/Event ' || lpad(i::text, 5, '0'), 'track', 1, now(), now(), '{}'::jsonb FROM generate_series(1, 10000) AS i`,
      [ws.id],
    );
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/integration'); // the first page is the dashboard
    const catalogRows = page.locator('table[aria-label="Event catalog"] tbody tr');
    await page.locator('tr[data-event-id="track/Event 00100"]').waitFor();
    expect(await catalogRows.count()).toBe(100);
    await page.click('button:has-text("Load more")');
    await page.locator('tr[data-event-id="track/Event 00200"]').waitFor();
    expect(await catalogRows.count()).toBe(200);

    await page.click('.tabs >> text=Event log');
    const logRows = page.locator('table[aria-label="Event log"] tbody tr');
    await page.locator('tr[data-message-id="m-9951"]').waitFor();
    expect(await logRows.count()).toBe(50);
    await page.click('button:has-text("Load more")');
    await page.locator('tr[data-message-id="m-9901"]').waitFor();
    expect(await logRows.count()).toBe(100);
    await page.locator('.pager', { hasText: '100 events shown, more available' }).waitFor();
    await shot(page, 'event-log-10000');

    await page.fill('#log-event', 'Event 00042');
    await page.click('button:has-text("Filter")');
    await page.locator('tr[data-message-id="m-42"]').waitFor();
    await page.waitForFunction(`document.querySelectorAll('table[aria-label="Event log"] tbody tr').length === 1`);

    const listCalls = studio.requests.filter((r) => /^GET \/inbound\/events(\/log)?\?/.test(r));
    expect(listCalls.length).toBeGreaterThan(0);
    expect(listCalls.every((r) => /[?&]limit=(50|100)(&|$)/.test(r))).toBe(true);
    expectNoPageErrors(studio);
  }, 120_000);

  it('serves the pages without a key, with the right content types, and refuses paths outside the Studio folder', async () => {
    const http = request(base);
    const index = await http.get('/studio').expect(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.text).toContain('type="importmap"');
    // Only the Studio's own scripts (and its import map, by hash) run; the page cannot be framed.
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['content-security-policy']).toContain("connect-src 'self'");
    expect((await http.get('/studio/').expect(200)).text).toBe(index.text);
    for (const file of ['/studio/app.js', '/studio/vendor/preact.mjs', '/studio/vendor/preact-hooks.mjs', '/studio/vendor/htm.mjs']) {
      const res = await http.get(file).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    }
    expect((await http.get('/studio/styles.css').expect(200)).headers['content-type']).toMatch(/^text\/css/);
    for (const bad of ['/studio/..%2Fpackage.json', '/studio/%2e%2e/%2e%2e/package.json', '/studio/vendor/..%2F..%2Fpackage.json', '/studio/nope.js', '/studio/lib', '/studio/.hidden.js']) {
      const res = await http.get(bad);
      expect([bad, res.status]).toEqual([bad, 404]);
      expect(res.text).not.toContain('"name": "herald"');
    }
    await http.get('/automations').expect(401);
  });
});

describe('Studio: consent (issue 13)', () => {
  it('creates and replaces topics with the Topics page form (a 400 shown at the form), looks up a user, toggles a topic off and on; REQUIRED has no toggle; the history shows each change', async () => {
    const ws = await herald.newWorkspace();
    const studio = await signIn(ws.key);
    const { page } = studio;
    await page.click('nav >> text=Topics');
    await page.locator('.empty', { hasText: 'No subscription topics yet.' }).waitFor();
    const form = page.locator('form[aria-label="Create or replace a topic"]');

    // No name: the API's 400 is shown next to the form, and nothing is saved.
    await page.fill('#topic-id', 'news');
    await form.locator('button[type=submit]').click();
    await form.getByRole('alert').filter({ hasText: 'name must be a non-empty string' }).waitFor();
    expect((await herald.http.get('/preferences/topics').set(ws.auth)).body.items).toEqual([]);

    await page.fill('#topic-name', 'Product news');
    await form.locator('input[value=email]').check();
    await form.locator('input[value=inbox]').check();
    await form.locator('button[type=submit]').click();
    const newsTopic = page.locator('tr[data-topic-id=news]');
    await newsTopic.locator('[data-col=name]', { hasText: 'Product news' }).waitFor();
    await newsTopic.locator('[data-col=default] [data-status=OPTED_IN]').waitFor();
    expect(await newsTopic.locator('[data-col=channels]').innerText()).toBe('email, inbox');
    expect(await form.getByRole('alert').count()).toBe(0);

    await page.fill('#topic-id', 'security');
    await page.fill('#topic-name', 'Security');
    await page.selectOption('#topic-default', 'REQUIRED');
    await form.locator('input[value=email]').uncheck();
    await form.locator('input[value=inbox]').uncheck();
    await form.locator('button[type=submit]').click();
    await page.locator('tr[data-topic-id=security] [data-col=default] [data-status=REQUIRED]').waitFor();

    // Edit fills the form with the topic; saving replaces it (its channels kept as shown).
    await page.click('button[aria-label="Edit topic news"]');
    expect(await page.inputValue('#topic-name')).toBe('Product news');
    expect(await page.inputValue('#topic-default')).toBe('OPTED_IN');
    expect(await form.locator('input[value=email]').isChecked()).toBe(true);
    await page.fill('#topic-name', 'News');
    await form.locator('button[type=submit]').click();
    await newsTopic.locator('[data-col=name]', { hasText: /^News$/ }).waitFor();
    expect((await herald.http.get('/preferences/topics').set(ws.auth)).body.items).toMatchObject([
      { id: 'news', name: 'News', default_status: 'OPTED_IN', allowed_channels: ['email', 'inbox'] },
      { id: 'security', name: 'Security', default_status: 'REQUIRED', allowed_channels: null },
    ]);
    await shot(page, 'topics');

    // A user's Preferences page, from the look-up field.
    await page.fill('#lookup-user', 'pat');
    await page.click('form[aria-label="Look up a user"] button[type=submit]');
    await page.waitForSelector('[data-user=pat]');
    expect(page.url()).toContain('#/users/pat/preferences');
    const news = page.locator('table[aria-label="Preferences"] tr[data-topic-id=news]');
    const security = page.locator('table[aria-label="Preferences"] tr[data-topic-id=security]');
    await news.locator('[data-col=status] [data-status=OPTED_IN]').waitFor();
    await security.locator('[data-col=status] [data-status=REQUIRED]').waitFor();
    expect(await security.locator('input, button').count()).toBe(0);
    expect(await security.locator('[data-col=toggle]').innerText()).toContain('required');
    await page.locator('.empty', { hasText: 'No changes recorded' }).waitFor();

    // Off, from the keyboard.
    const toggle = news.getByRole('switch', { name: 'Receive News' });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.focus();
    await page.keyboard.press('Space');
    await news.locator('[data-col=status] [data-status=OPTED_OUT]').waitFor();
    expect((await herald.http.get('/users/pat/preferences/news').set(ws.auth)).body.topic).toMatchObject({ topic_id: 'news', status: 'OPTED_OUT', source: 'api' });
    const changes = page.locator('table[aria-label="Preference changes"] tbody tr');
    await page.locator('table[aria-label="Preference changes"] tr[data-topic-id=news][data-source=api][data-change-status=OPTED_OUT]').waitFor();
    expect(await changes.count()).toBe(1);
    expect(await changes.first().locator('[data-col=source]').innerText()).toContain('api');
    expect(await toggle.isChecked()).toBe(false);
    await shot(page, 'user-preferences');

    // And on again: a second change, newest first.
    await toggle.click();
    await news.locator('[data-col=status] [data-status=OPTED_IN]').waitFor();
    // (A locator, not waitForFunction with a string: the Studio's CSP forbids eval when it polls.)
    await page.locator('table[aria-label="Preference changes"] tr[data-change-status=OPTED_IN]').waitFor();
    expect(await changes.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-change-status')))).toEqual(['OPTED_IN', 'OPTED_OUT']);
    expect((await herald.http.get('/users/pat/preferences/news').set(ws.auth)).body.topic.status).toBe('OPTED_IN');
    expect(studio.requests.filter((r) => r.startsWith('PUT /users/pat/preferences/news'))).toHaveLength(2);
    expectNoPageErrors(studio);
  }, 120_000);

  it('pages the change history: 50 changes at a time, the rest on "Load more"', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/preferences/topics/tips').set(ws.auth).send({ name: 'Tips', default_status: 'OPTED_IN' }).expect(200);
    for (let i = 0; i < 51; i++) {
      await herald.http.put('/users/lee/preferences/tips').set(ws.auth).send({ topic: { status: i % 2 ? 'OPTED_IN' : 'OPTED_OUT' } }).expect(200);
    }
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/users/lee/preferences');
    const rows = page.locator('table[aria-label="Preference changes"] tbody tr');
    await page.locator('.pager', { hasText: '50 changes shown, more available' }).waitFor();
    expect(await rows.count()).toBe(50);
    await page.click('button:has-text("Load more")');
    await page.locator('.pager', { hasText: '51 changes shown' }).waitFor();
    expect(await rows.count()).toBe(51);
    expect(await page.locator('button:has-text("Load more")').count()).toBe(0);
    const calls = studio.requests.filter((r) => r.startsWith('GET /users/lee/preference-changes?'));
    expect(calls).toEqual([expect.stringMatching(/\?limit=50$/), expect.stringMatching(/\?limit=50&cursor=.+/)]);
    expectNoPageErrors(studio);
  }, 120_000);

  it('a FILTERED message shows its reason (UNSUBSCRIBED, OPT_IN_REQUIRED) in the list and on its page, the recipient linked to their preferences', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await herald.http.put('/preferences/topics/news').set(a).send({ name: 'News', default_status: 'OPTED_IN' }).expect(200);
    await herald.http.put('/preferences/topics/beta').set(a).send({ name: 'Beta', default_status: 'OPTED_OUT' }).expect(200);
    await herald.http.put('/notifications/digest').set(a).send({ name: 'Digest', subscription_topic_id: 'news', channels: { inbox: { title: 'Digest', body: 'x' } } }).expect(200);
    await herald.http.put('/notifications/beta').set(a).send({ name: 'Beta', subscription_topic_id: 'beta', channels: { inbox: { title: 'Beta', body: 'x' } } }).expect(200);
    await herald.http.put('/users/pat/preferences/news').set(a).send({ topic: { status: 'OPTED_OUT' } }).expect(200);
    const send = async (user: string, template: string) =>
      (await messageDecided(herald, a, (await herald.http.post('/send').set(a).send({ message: { to: { user_id: user }, template } }).expect(202)).body.requestId)).id as string;
    const unsubscribed = await send('pat', 'digest');
    const optIn = await send('kim', 'beta');

    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, `#/messages/${unsubscribed}`);
    const status = page.locator('h1 [data-message-status=FILTERED][data-message-reason=UNSUBSCRIBED]');
    await status.waitFor();
    expect(await status.locator('[data-status=FILTERED]').isVisible()).toBe(true);
    expect(await status.locator('.reason').innerText()).toBe('UNSUBSCRIBED');
    expect(await page.locator('[data-filtered-reason=UNSUBSCRIBED]').innerText()).toContain('opted out');
    await page.locator('li[data-history-status=FILTERED]').waitFor();
    await shot(page, 'message-filtered');

    // The recipient links to their Preferences page, where the opt-out is.
    await page.click('.page-head .sub a[data-user-link=pat]');
    await page.waitForSelector('[data-user=pat]');
    await page.locator('table[aria-label="Preferences"] tr[data-topic-id=news] [data-col=status] [data-status=OPTED_OUT]').waitFor();

    await page.click('nav >> text=Messages');
    const patRow = page.locator(`tr[data-message-id="${unsubscribed}"] [data-col=status]`);
    await patRow.locator('[data-reason=UNSUBSCRIBED]').waitFor();
    expect(await patRow.innerText()).toMatch(/FILTERED\s+UNSUBSCRIBED/);
    const kimRow = page.locator(`tr[data-message-id="${optIn}"] [data-col=status]`);
    await kimRow.locator('[data-reason=OPT_IN_REQUIRED]').waitFor();
    expect(await kimRow.innerText()).toMatch(/FILTERED\s+OPT_IN_REQUIRED/);
    await shot(page, 'messages-filtered');

    await go(page, `#/messages/${optIn}`);
    await page.locator('h1 [data-message-status=FILTERED][data-message-reason=OPT_IN_REQUIRED]').waitFor();
    expect(await page.locator('[data-filtered-reason=OPT_IN_REQUIRED]').innerText()).toContain('has not opted in');
    expectNoPageErrors(studio);
  }, 120_000);

  it('sets delivery times (default zone, quiet hours) on the Topics page, a 400 shown at the form; a held message shows when it will go', async () => {
    const ws = await herald.newWorkspace();
    const studio = await signIn(ws.key);
    const { page } = studio;
    await page.click('nav >> text=Topics');
    const form = page.locator('form[aria-label="Delivery times"]');
    await form.waitFor();
    await page.fill('#quiet-hours', 'whenever');
    await form.locator('button[type=submit]').click();
    await form.getByRole('alert').filter({ hasText: 'quiet_hours: invalid delivery window' }).waitFor();
    expect((await herald.http.get('/settings/delivery').set(ws.auth)).body).toEqual({ default_timezone: null, quiet_hours: null });

    // A one-hour window two hours from now (in Oslo), so a message sent now is held.
    const opens = new Date(Date.now() + 2 * 3600_000);
    const hh = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', hourCycle: 'h23' }).format(opens);
    const window = `Mo-Su ${hh}:00-${String((Number(hh) + 1) % 24).padStart(2, '0')}:00`;
    await page.fill('#default-timezone', 'Europe/Oslo');
    await page.fill('#quiet-hours', window);
    await form.locator('button[type=submit]').click();
    await form.locator('text=Saved').waitFor();
    expect((await herald.http.get('/settings/delivery').set(ws.auth)).body).toEqual({ default_timezone: 'Europe/Oslo', quiet_hours: window });

    await herald.http.put('/notifications/later').set(ws.auth).send({ name: 'Later', channels: { inbox: { title: 'Later', body: 'x' } } }).expect(200);
    const id = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'owl' }, template: 'later' } }).expect(202)).body.requestId;
    const held = await waitUntil(async () => {
      const m = (await herald.http.get(`/messages/${id}`).set(ws.auth)).body;
      return m.scheduled_for ? m : undefined;
    }, { what: 'message held' });
    await go(page, `#/messages/${id}`);
    const note = page.locator(`[data-scheduled-for="${held.scheduled_for}"]`);
    await note.waitFor();
    expect(await note.innerText()).toContain('(quiet hours)');
    await shot(page, 'message-held');
    expectNoPageErrors(studio);
  }, 120_000);
});

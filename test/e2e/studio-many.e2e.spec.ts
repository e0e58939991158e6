import type { Page } from 'playwright-core';
import { studioHarness, type Studio } from '../support/studio-browser';
import type { TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * The Studio's pages for sending to many (issue 14): Lists, Audiences, Broadcasts and Schedules,
 * driven in a real Chromium against a real Herald (Postgres + Temporal + worker), with the same
 * setup as studio.e2e.spec.ts. API calls here set up data the pages do not create and check
 * what the pages did.
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

/** Every input, select and textarea on the page has a label (a <label> or aria-label). */
async function expectAllLabelled(page: Page) {
  const unlabelled = await page.locator('main input, main select, main textarea').evaluateAll((els) =>
    els
      .filter((el) => !((el as unknown as { labels?: { length: number } }).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  expect(unlabelled).toEqual([]);
}

async function inboxTemplate(a: Auth, id = 'note') {
  await herald.http.put(`/notifications/${id}`).set(a).send({ name: `Note ${id}`, channels: { inbox: { title: 'Hi', body: 'b' } } }).expect(200);
}

async function subscribeMany(a: Auth, listId: string, n: number, prefix = 'r') {
  const recipients = Array.from({ length: n }, (_, i) => ({ recipientId: `${prefix}${String(i).padStart(3, '0')}` }));
  await herald.http.post(`/lists/${listId}/subscriptions`).set(a).send({ recipients }).expect(204);
}

const subscribers = async (a: Auth, listId: string) =>
  (await herald.http.get(`/lists/${listId}/subscriptions`).set(a).expect(200)).body.items.map((s: any) => s.recipientId);

describe('Studio: lists, audiences, broadcasts, schedules (issue 14)', () => {
  it('lists: creates a list with the form, filters by pattern (a bad pattern shown at the field), adds and removes subscribers, pages them; user ids link to Preferences', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await herald.http.put('/lists/beta.us').set(a).send({ name: 'Beta US' }).expect(204);
    await herald.http.put('/lists/news').set(a).send({ name: 'News' }).expect(204);
    const studio = await signIn(ws.key);
    const { page } = studio;
    await page.click('nav >> text=Lists');
    await page.locator('tr[data-list-id="news"]').waitFor();
    await expectAllLabelled(page);

    // Create a list with the form.
    const form = page.locator('form[aria-label="Create a list"]');
    await page.fill('#new-list-id', 'beta.eu');
    await page.fill('#new-list-name', 'Beta testers (EU)');
    await form.locator('button[type=submit]').click();
    await page.locator('tr[data-list-id="beta.eu"] [data-col=name]', { hasText: 'Beta testers (EU)' }).waitFor();
    expect((await herald.http.get('/lists/beta.eu').set(a).expect(200)).body).toMatchObject({ id: 'beta.eu', name: 'Beta testers (EU)' });
    // A bad id: the API's 400 is shown at the form.
    await page.fill('#new-list-id', 'no spaces');
    await form.locator('button[type=submit]').click();
    await form.getByRole('alert').filter({ hasText: 'list id must be dotted segments' }).waitFor();

    // The pattern filter (submitted with Enter).
    await page.fill('#list-pattern', 'beta.*');
    await page.press('#list-pattern', 'Enter');
    await page.waitForURL(/#\/lists\?pattern=beta\.\*/);
    await page.locator('.pager', { hasText: /^2 lists shown/ }).waitFor();
    expect(await page.locator('table[aria-label="Lists"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-list-id')))).toEqual(['beta.eu', 'beta.us']);
    expect(studio.requests).toContainEqual(expect.stringMatching(/^GET \/lists\?pattern=beta\.\*&limit=50$/));
    await shot(page, 'lists');
    await page.fill('#list-pattern', 'beta..eu');
    await page.press('#list-pattern', 'Enter');
    await page.locator('#list-pattern-error [role=alert]', { hasText: 'list_pattern must be dotted segments' }).waitFor();
    expect(await page.getAttribute('#list-pattern', 'aria-describedby')).toBe('list-pattern-error');
    await page.click('a:has-text("Clear")');
    await page.locator('tr[data-list-id="news"]').waitFor();

    // The list's page: subscribe two users (keyboard only for the first), remove one.
    await page.click('tr[data-list-id="beta.eu"] a');
    await page.waitForSelector('[data-list="beta.eu"]');
    await page.locator('.empty', { hasText: 'No subscribers yet.' }).waitFor();
    await page.focus('#subscriber-id');
    await page.keyboard.type('ann');
    await page.keyboard.press('Enter');
    await page.locator('tr[data-recipient-id="ann"]').waitFor();
    await page.fill('#subscriber-id', 'bob');
    await page.click('form[aria-label="Add a subscriber"] button[type=submit]');
    await page.locator('tr[data-recipient-id="bob"]').waitFor();
    expect(await subscribers(a, 'beta.eu')).toEqual(['ann', 'bob']);
    await expectAllLabelled(page);
    await shot(page, 'list');

    await page.click('button[aria-label="Remove ann"]');
    await page.locator('tr[data-recipient-id="ann"]').waitFor({ state: 'detached' });
    await page.locator('[role=status]', { hasText: 'Unsubscribed ann.' }).waitFor();
    expect(await subscribers(a, 'beta.eu')).toEqual(['bob']);
    expect(studio.requests).toContain('DELETE /lists/beta.eu/subscriptions/ann');
    expect(studio.requests).toContain('PUT /lists/beta.eu/subscriptions/ann');

    // Courier's paging ({ paging: { cursor, more } }): 50 at a time.
    await subscribeMany(a, 'news', 51, 'n');
    await go(page, '#/lists/news');
    const rows = page.locator('table[aria-label="Subscribers"] tbody tr');
    await page.locator('.pager', { hasText: '50 subscribers shown, more available' }).waitFor();
    expect(await rows.count()).toBe(50);
    await page.click('button:has-text("Load more")');
    await page.locator('.pager', { hasText: '51 subscribers shown' }).waitFor();
    expect(await rows.count()).toBe(51);
    expect(studio.requests.filter((r) => r.startsWith('GET /lists/news/subscriptions?'))).toEqual([
      expect.stringMatching(/\?limit=50$/),
      expect.stringMatching(/\?limit=50&cursor=.+/),
    ]);

    // A subscriber links to their Preferences page.
    await page.click('tr[data-recipient-id="n050"] a[data-user-link="n050"]');
    await page.waitForSelector('[data-user="n050"]');
    expect(page.url()).toContain('#/users/n050/preferences');
    expectNoPageErrors(studio);
  }, 120_000);

  it('audiences: a filter saved on the page (its 400 shown at the field) recomputes with a progress bar, then shows member_count 2 and the sample', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    for (const [id, plan] of [['pia', 'pro'], ['pal', 'pro'], ['fay', 'free']]) {
      await herald.http.put(`/profiles/${id}`).set(a).send({ profile: { plan } }).expect(200);
    }
    const studio = await signIn(ws.key);
    const { page } = studio;
    await page.click('nav >> text=Audiences');
    await page.locator('.empty', { hasText: 'No audiences yet.' }).waitFor();
    await expectAllLabelled(page);

    await page.fill('#audience-id', 'pros');
    await page.fill('#audience-name', 'Pro users');
    // Not valid JSON: said at the field, nothing sent.
    await page.fill('#audience-filter', '["profile.plan", "is equal",');
    await page.click('button:has-text("Create audience")');
    await page.locator('#audience-filter-error [role=alert]', { hasText: 'filter is not valid JSON' }).waitFor();
    // A path outside profile/tenants: the server's 400, at the field.
    await page.fill('#audience-filter', '["plan", "is equal", "pro"]');
    await page.click('button:has-text("Create audience")');
    await page.locator('#audience-filter-error [role=alert]', { hasText: 'must start with "profile."' }).waitFor();
    expect(await page.getAttribute('#audience-filter', 'aria-invalid')).toBe('true');
    expect((await herald.http.get('/audiences').set(a)).body.items).toEqual([]);
    expect(studio.requests.filter((r) => r.startsWith('PUT /audiences/'))).toHaveLength(1);

    await page.fill('#audience-filter', '["profile.plan", "is equal", "pro"]');
    await page.click('button:has-text("Create audience")');
    await page.waitForURL(/#\/audiences\/pros$/);
    // While COMPUTING (the recompute settles for a moment first) the page shows a progress bar and polls.
    await page.locator('[data-audience-status=COMPUTING] [data-recompute] progress[aria-label="Recompute progress"]').waitFor();
    await page.locator('[data-audience-status=READY]').waitFor();
    expect(await page.locator('[data-recompute]').count()).toBe(0);
    await page.locator('[data-member-count="2"]').waitFor();
    await page.locator('tr[data-member="pal"]').waitFor();
    expect(await page.locator('table[aria-label="Audience members"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-member')))).toEqual(['pal', 'pia']);
    expect(studio.requests).toContainEqual(expect.stringMatching(/^GET \/audiences\/pros\/members\?limit=10$/));
    expect((await herald.http.get('/audiences/pros').set(a)).body).toMatchObject({ id: 'pros', name: 'Pro users', filter: ['profile.plan', 'is equal', 'pro'], status: 'READY', member_count: 2 });
    await expectAllLabelled(page);
    await shot(page, 'audience');

    // Edit the filter on the audience's page: it recomputes, and the count and sample follow.
    await page.fill('#audience-filter', JSON.stringify({ OR: [['profile.plan', 'is equal', 'pro'], ['profile.plan', 'is equal', 'free']] }));
    await page.click('button:has-text("Save filter")');
    await page.locator('[data-member-count="3"]').waitFor();
    await page.locator('[data-audience-status=READY] tr[data-member="fay"]').waitFor();
    expect((await herald.http.get('/audiences/pros').set(a)).body).toMatchObject({ status: 'READY', member_count: 3 });

    await page.click('a:has-text("← Audiences")');
    const row = page.locator('tr[data-audience-id="pros"]');
    await row.locator('[data-col=members]', { hasText: /^3$/ }).waitFor();
    await row.locator('[data-status=READY]').waitFor();
    await shot(page, 'audiences');
    expectNoPageErrors(studio);
  }, 120_000);

  it('broadcasts: created to a list on the page, started, a progress bar while RUNNING up to COMPLETED; another paused (it holds) and resumed; a 409 is shown', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await inboxTemplate(a, 'note');
    await subscribeMany(a, 'beta', 30);
    const studio = await signIn(ws.key);
    const { page } = studio;

    // From the list's page, "Broadcast to this list" fills in the recipients.
    await go(page, '#/lists/beta');
    await page.click('a:has-text("Broadcast to this list")');
    await page.waitForSelector('form[aria-label="Create a broadcast"]');
    expect(await page.inputValue('#broadcast-source-kind')).toBe('list_id');
    expect(await page.inputValue('#broadcast-source')).toBe('beta');
    await expectAllLabelled(page);
    await page.fill('#broadcast-target', 'note');
    await page.fill('#broadcast-rate', '10');
    // No name: the form says so and sends nothing.
    await page.click('button:has-text("Create broadcast")');
    await page.locator('form[aria-label="Create a broadcast"] [role=alert]', { hasText: 'name' }).waitFor();
    await page.fill('#broadcast-name', 'Beta launch');
    await page.click('button:has-text("Create broadcast")');
    await page.waitForURL(/#\/broadcasts\/[0-9a-f-]{36}$/);
    const id = page.url().split('#/broadcasts/')[1];
    await page.locator(`[data-broadcast="${id}"][data-broadcast-status=DRAFT]`).waitFor();
    expect((await herald.http.get(`/broadcasts/${id}`).set(a)).body).toMatchObject({ name: 'Beta launch', status: 'DRAFT', source: { list_id: 'beta' }, target: { template: 'note' }, rate_per_second: 10 });
    expect(await page.locator('[role=group][aria-label="Broadcast actions"] button').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-action')))).toEqual(['start', 'cancel']);

    // Start: 30 at 10 per second runs for about 3 s, with the bar showing.
    await page.click('button[data-action=start]');
    await page.locator('[data-broadcast-status=RUNNING] progress[aria-label="Broadcast progress"]').waitFor();
    expect(await page.locator('[role=group][aria-label="Broadcast actions"] button').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-action')))).toEqual(['pause', 'cancel']);
    await shot(page, 'broadcast-running');
    await page.locator('[data-broadcast-status=COMPLETED]').waitFor({ timeout: 60_000 });
    await page.locator('[data-count=targeted]', { hasText: /^30$/ }).waitFor();
    expect(await page.locator('[data-count=sent]').innerText()).toBe('30');
    expect(await page.locator('[data-count=pending]').innerText()).toBe('0');
    expect(await page.locator('progress').count()).toBe(0);
    expect(await page.locator('[role=group][aria-label="Broadcast actions"] button').count()).toBe(0);
    expect((await herald.http.get(`/broadcasts/${id}`).set(a)).body).toMatchObject({ status: 'COMPLETED', progress: { targeted: 30, sent: 30, filtered: 0, failed: 0, pending: 0 } });
    await shot(page, 'broadcast-completed');

    // Another, started at once from the form; paused while running, it holds; resumed, it completes.
    await subscribeMany(a, 'many', 120, 'm');
    await page.click('nav >> text=Broadcasts');
    await page.locator(`tr[data-broadcast-id="${id}"] [data-status=COMPLETED]`).waitFor();
    await page.fill('#broadcast-name', 'Slow one');
    await page.fill('#broadcast-source', 'many');
    await page.fill('#broadcast-target', 'note');
    await page.fill('#broadcast-rate', '20');
    await page.check('#broadcast-start');
    await page.click('button:has-text("Create broadcast")');
    await page.waitForURL((url) => /#\/broadcasts\/[0-9a-f-]{36}$/.test(url.hash) && !url.hash.includes(id));
    const slow = page.url().split('#/broadcasts/')[1];
    await page.locator('[data-broadcast-status=RUNNING] button[data-action=pause]').click();
    await page.locator('[data-broadcast-status=PAUSED] button[data-action=resume]').waitFor();
    await page.locator('[data-broadcast-status=PAUSED] progress[aria-label="Broadcast progress"]').waitFor();
    // Held: once the chunk in flight has been recorded (50 at 20/s take 2.5 s), nothing more is sent.
    const held = await waitUntil(async () => {
      const b = (await herald.http.get(`/broadcasts/${slow}`).set(a)).body;
      return b.status === 'PAUSED' && Date.now() - Date.parse(b.updated_at) > 3_000 ? b : undefined;
    }, { what: 'paused broadcast settled', timeoutMs: 30_000 });
    expect(held.progress.sent).toBeLessThan(120);
    await page.locator('[data-count=sent]', { hasText: new RegExp(`^${held.progress.sent}$`) }).waitFor();
    await shot(page, 'broadcast-paused');
    await page.click('button[data-action=resume]');
    await page.locator('[data-broadcast-status=COMPLETED]').waitFor({ timeout: 60_000 });
    expect((await herald.http.get(`/broadcasts/${slow}`).set(a)).body).toMatchObject({ status: 'COMPLETED', progress: { targeted: 120, sent: 120, pending: 0 } });
    expect(await page.locator('[data-count=sent]').innerText()).toBe('120');

    // A 409 from a button whose status moved on elsewhere: its message is shown.
    const draft = (await herald.http.post('/broadcasts').set(a).send({ name: 'Stale', list_id: 'beta', template: 'note' }).expect(201)).body.id;
    await go(page, `#/broadcasts/${draft}`);
    await page.locator('[data-broadcast-status=DRAFT] button[data-action=start]').waitFor();
    await herald.http.post(`/broadcasts/${draft}/cancel`).set(a).expect(201);
    await page.click('button[data-action=start]');
    await page.getByRole('alert').filter({ hasText: 'broadcast is CANCELED; only a DRAFT can be started' }).waitFor();
    await page.locator('[data-broadcast-status=CANCELED]').waitFor();

    await page.click('nav >> text=Broadcasts');
    await page.locator(`tr[data-broadcast-id="${slow}"] [data-col=progress]`, { hasText: '120 / 120' }).waitFor();
    await page.locator(`tr[data-broadcast-id="${draft}"] [data-status=CANCELED]`).waitFor();
    await shot(page, 'broadcasts');
    expectNoPageErrors(studio);
  }, 180_000);

  it("schedules: the list shows each schedule's timing, zone, target, state and next runs; pause/unpause sends the whole schedule back; its page; delete", async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    const weekly = { cron: '0 9 * * MON', timezone: 'Europe/Oslo', target: { template: 'note', to: { list_id: 'beta' } }, data: { edition: 'weekly' } };
    await herald.http.put('/schedules/weekly').set(a).send(weekly).expect(200);
    await herald.http.put('/schedules/daily').set(a).send({ rrule: 'FREQ=DAILY;BYHOUR=7;BYMINUTE=30', timezone: 'Asia/Tokyo', target: { automation: 'digest', recipient: 'kim' }, paused: true }).expect(200);
    const listed = (await herald.http.get('/schedules').set(a).expect(200)).body.items;
    const nextRuns: string[] = listed.find((s: any) => s.id === 'weekly').next_runs;
    expect(nextRuns).toHaveLength(5);
    const oslo = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    expect(nextRuns.map((t) => oslo.format(new Date(t)))).toEqual(Array(5).fill('Mon 09:00'));

    const studio = await signIn(ws.key);
    const { page } = studio;
    await page.click('nav >> text=Schedules');
    const row = page.locator('tr[data-schedule-id="weekly"]');
    await row.waitFor();
    expect(await row.locator('[data-col=spec]').innerText()).toContain('0 9 * * MON');
    expect(await row.locator('[data-col=timezone]').innerText()).toBe('Europe/Oslo');
    expect(await row.locator('[data-col=target]').innerText()).toMatch(/send note to list beta/);
    await row.locator('[data-col=state] [data-status=ACTIVE]').waitFor();
    expect(await row.locator('[data-next-run]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-next-run')))).toEqual(nextRuns);
    // Each also as the schedule's own zone reads it.
    expect(await row.locator('[data-next-run]').first().innerText()).toMatch(/· Mon \d{1,2} \w{3},? 09:00$/);
    const daily = page.locator('tr[data-schedule-id="daily"]');
    await daily.locator('[data-col=state] [data-status=PAUSED]').waitFor();
    expect(await daily.locator('[data-col=next-runs]').innerText()).toContain('none while paused');
    expect(await daily.locator('[data-col=spec]').innerText()).toContain('FREQ=DAILY');
    await shot(page, 'schedules');

    // Pause from the keyboard: the PUT carries every field back, so only `paused` changes.
    await row.locator('button[data-action=pause]').focus();
    await page.keyboard.press('Enter');
    await page.locator('tr[data-schedule-id="weekly"][data-paused=true] [data-col=state] [data-status=PAUSED]').waitFor();
    expect(await row.locator('[data-col=next-runs]').innerText()).toContain('none while paused');
    expect((await herald.http.get('/schedules/weekly').set(a)).body).toMatchObject({ ...weekly, paused: true, next_runs: [] });
    await row.locator('button[data-action=unpause]').click();
    await page.locator('tr[data-schedule-id="weekly"][data-paused=false] [data-next-run]').first().waitFor();
    expect((await herald.http.get('/schedules/weekly').set(a)).body).toMatchObject({ ...weekly, paused: false });
    await daily.locator('button[data-action=unpause]').click();
    await page.locator('tr[data-schedule-id="daily"][data-paused=false] [data-next-run]').first().waitFor();
    expect((await herald.http.get('/schedules/daily').set(a)).body).toMatchObject({ rrule: 'FREQ=DAILY;BYHOUR=7;BYMINUTE=30', timezone: 'Asia/Tokyo', target: { automation: 'digest', recipient: 'kim' }, paused: false });
    expect(studio.requests.filter((r) => r.startsWith('PUT /schedules/'))).toEqual(['PUT /schedules/weekly', 'PUT /schedules/weekly', 'PUT /schedules/daily']);

    // The schedule's page: next runs as Temporal reports them, and its Temporal UI link.
    await row.locator('a', { hasText: 'weekly' }).click();
    await page.waitForSelector('[data-schedule="weekly"]');
    const fromTemporal = (await herald.http.get('/schedules/weekly').set(a)).body;
    expect(fromTemporal.next_runs_source).toBe('temporal');
    await page.locator('text=As the Temporal Schedule reports them.').waitFor();
    expect(await page.locator('ol.next-runs [data-next-run]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-next-run')))).toEqual(fromTemporal.next_runs);
    expect(await page.getAttribute('a[data-temporal-link]', 'href')).toBe(fromTemporal.temporal.ui_url);
    await page.locator('.empty, p.muted', { hasText: 'It has not fired yet.' }).waitFor();
    await shot(page, 'schedule');

    // Delete asks once more, in place.
    await page.click('button[data-action=delete]');
    await page.click('button[data-action=confirm-delete]');
    await page.waitForURL(/#\/schedules$/);
    await page.locator('tr[data-schedule-id="daily"]').waitFor();
    expect(await page.locator('tr[data-schedule-id="weekly"]').count()).toBe(0);
    await herald.http.get('/schedules/weekly').set(a).expect(404);
    expectNoPageErrors(studio);
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { publishedTemplate } from '../support/automations';
import { studioHarness } from '../support/studio-browser';
import type { TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * The Studio's dashboard and its long jobs, in Chromium against a real Herald: the counts the
 * test produced appear on the dashboard; a bulk replay of the event log shows a progress bar.
 */
const harness = studioHarness();
const { signIn, shot, go, expectNoPageErrors } = harness;
let herald: TestHerald;
beforeAll(() => {
  herald = harness.herald;
});

type Auth = Record<string, string>;
const enc = encodeURIComponent;

async function postBatch(auth: Auth, events: Array<Record<string, unknown>>) {
  for (let i = 0; i < events.length; i += 100) {
    await herald.http.post('/inbound/rudderstack').set(auth).send({ batch: events.slice(i, i + 100).map((e) => ({ messageId: randomUUID(), ...e })) }).expect(202);
  }
}

async function processed(auth: Auth, want: number) {
  await waitUntil(async () => {
    const page = (await herald.http.get('/inbound/events/log').query({ status: 'pending', limit: 1 }).set(auth)).body;
    const all = (await herald.http.get('/inbound/events/log').query({ limit: 500 }).set(auth)).body;
    return page.items.length === 0 && all.items.length >= Math.min(want, 500);
  }, { what: `${want} events processed`, timeoutMs: 60_000 });
}

describe('Studio dashboard and long jobs', () => {
  it("shows the counts this test produced: events by type, runs, messages by status, the funnel, outbound health", async () => {
    const ws = await herald.newWorkspace();
    await postBatch(ws.auth, [
      ...['d1', 'd2', 'd3'].map((userId) => ({ type: 'identify', userId, traits: { plan: 'pro' } })),
      ...['d1', 'd2'].map((userId) => ({ type: 'track', userId, event: 'Dashboard Seen' })),
      { type: 'group', userId: 'd1', groupId: 'g1', traits: {} },
    ]);
    await herald.http.put('/notifications/dash-hello').set(ws.auth).send({ name: 'Hello', channels: { inbox: { title: 'Hi', body: 'there' } } }).expect(200);
    const ids: string[] = [];
    for (const user of ['d1', 'd2']) ids.push((await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: user }, template: 'dash-hello' } }).expect(202)).body.requestId);
    for (const id of ids) await waitUntil(async () => (await herald.http.get(`/messages/${id}`).set(ws.auth)).body.status === 'DELIVERED', { what: `${id} delivered` });
    await herald.http.post(`/inbox/messages/${ids[0]}/opened`).set(ws.auth).expect(200);
    const waiting = await herald.http.post('/automations/invoke').set(ws.auth).send({ recipient: 'd3', automation: { steps: [{ action: 'delay', duration: '30 days' }] } }).expect(202);
    await waitUntil(async () => (await herald.http.get(`/automations/runs/${waiting.body.runId}`).set(ws.auth)).body.status === 'WAITING', { what: 'a waiting run' });
    await processed(ws.auth, 6);

    const studio = await signIn(ws.key);
    const { page } = studio;
    await page.locator('[data-dashboard=hour]').waitFor(); // the first page
    const stat = (name: string) => page.locator(`[data-stat="${name}"] .stat-value`).getAttribute('data-value');
    await page.locator('[data-stat="events"] .stat-value[data-value="6"]').waitFor();
    expect(await stat('runs-started')).toBe('1');
    expect(await stat('runs-active')).toBe('1');
    expect(await stat('messages-sent')).toBe('2');
    const total = (chart: string, key: string) => page.locator(`[data-chart="${chart}"] tr[data-total="${key}"] td`).innerText();
    expect(await total('events', 'identify')).toBe('3');
    expect(await total('events', 'track')).toBe('2');
    expect(await total('events', 'group')).toBe('1');
    expect(await page.locator('[data-chart="events"] tr[data-total="page"]').count()).toBe(0); // zeros are not drawn
    expect(await total('messages', 'DELIVERED')).toBe('2');
    expect(await total('messages', 'OPENED')).toBe('1');
    expect(await page.locator('[data-chart="events"] .chart canvas').count()).toBeGreaterThan(0); // uPlot drew it
    const funnel = page.locator('tr[data-funnel-template="dash-hello"]');
    expect(await funnel.locator('[data-col=sent]').innerText()).toBe('2');
    expect(await funnel.locator('[data-col=delivered]').innerText()).toContain('2');
    expect(await funnel.locator('[data-col=opened]').innerText()).toContain('50.0%');
    expect(await page.locator('[data-outbound-pending]').getAttribute('data-outbound-pending')).toBe('0');
    await shot(page, 'dashboard');

    await page.click('[aria-label="Time window"] button:has-text("Last week")');
    await page.locator('[data-dashboard=week]').waitFor();
    await page.locator('[data-stat="events"] .stat-value[data-value="6"]').waitFor();
    expect(page.url()).toContain('#/dashboard?window=week');
    await shot(page, 'dashboard-week');
    expectNoPageErrors(studio);
  }, 120_000);

  it('replays the event log in bulk from the log page, with a progress bar to the end', async () => {
    const ws = await herald.newWorkspace();
    await postBatch(ws.auth, Array.from({ length: 300 }, (_, i) => ({ type: 'track', userId: `r${i}`, event: 'Imported' })));
    await processed(ws.auth, 300);
    const templateId = await publishedTemplate(herald, ws.auth, { name: 'Backfill', steps: [{ action: 'update-profile', recipient_id: '${data.userId}', profile: { backfilled: true } }] });
    await herald.http.put(`/inbound/events/${enc('track/Imported')}/automations/${templateId}`).set(ws.auth).expect(200);

    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/integration/log?event=Imported&status=unmapped');
    await page.locator('tr[data-log-id]').first().waitFor();
    await page.click('[data-replay-all]');
    const job = page.locator('[data-replay-job]').first();
    await job.locator('progress[data-max="300"]').waitFor();
    await page.locator('[data-replay-job][data-replay-status=COMPLETED] progress[data-value="300"][data-max="300"]').waitFor({ timeout: 60_000 });
    expect(await job.innerText()).toContain('300 runs started');
    await shot(page, 'event-log-bulk-replay');
    await waitUntil(async () => (await herald.http.get('/profiles/r299').set(ws.auth)).body?.profile?.backfilled === true, { what: 'a replayed run ran' });
    expectNoPageErrors(studio);
  }, 120_000);
});

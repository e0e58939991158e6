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

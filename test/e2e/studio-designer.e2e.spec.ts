import type { Page } from 'playwright-core';
import { studioHarness } from '../support/studio-browser';
import type { TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * The visual designer end to end, in Chromium against a real Herald: an automation built only
 * with the palette, the side panel and the keyboard; errors at their node and field; the JSON
 * tab in sync; the diff before publishing; a run of it drawn on the flow as it moves.
 */

const harness = studioHarness();
const { signIn, shot, go, expectNoPageErrors } = harness;
let herald: TestHerald;
beforeAll(() => {
  herald = harness.herald;
});

const node = (page: Page, path: string) => page.locator(`[data-node-path="${path}"]`);
const panelField = (page: Page, name: string) => page.locator(`.step-panel [data-field="${name}"] :is(input, select, textarea)`);
const focusedNode = (page: Page) => page.evaluate('document.activeElement?.getAttribute("data-node-path") ?? null');
/** Focus moves when Preact re-renders after the key: poll for it. */
const focusMovesTo = (page: Page, path: string) =>
  waitUntil(async () => (await focusedNode(page)) === path, { what: `focus on node ${path}`, timeoutMs: 5_000 });

async function addStep(page: Page, list: string, index: number, action: string) {
  await page.click(`[data-insert="${list}|${index}"]`);
  await page.click(`.flow-palette [data-palette="${action}"]`);
  const path = list ? `${list}.${index}` : String(index);
  await page.locator(`[data-panel-path="${path}"]`).waitFor();
  return path;
}

async function fill(page: Page, field: string, value: string) {
  await panelField(page, field).fill(value);
}

describe('Studio designer', () => {
  it('builds delay → branch (two paths) → wait-for → send in the designer, publishes after a diff, and draws a run of it with its path and statuses', async () => {
    const ws = await herald.newWorkspace();
    for (const id of ['pro-welcome', 'basic-welcome', 'follow-up']) {
      await herald.http.put(`/notifications/${id}`).set(ws.auth).send({ name: id, channels: { inbox: { title: `${id} title`, body: `${id} body` } } }).expect(200);
    }
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/automations/new');
    await page.fill('#name', 'Onboarding');

    // The starting example goes: Delete removes the focused step, Undo brings it back.
    await node(page, '0').click();
    await page.keyboard.press('Delete');
    await page.locator('.designer-notice', { hasText: 'Deleted delay' }).waitFor();
    expect(await page.locator('[data-node-path]').count()).toBe(1);
    await page.click('.designer-notice button:has-text("Undo")');
    expect(await page.locator('[data-node-path]').count()).toBe(2);
    await node(page, '0').focus();
    await page.keyboard.press('Delete');
    await node(page, '0').focus();
    await page.keyboard.press('Delete');
    expect(await page.locator('[data-node-path]').count()).toBe(0);

    // delay, from the palette at the top, edited in the side panel.
    await addStep(page, '', 0, 'delay');
    expect(await panelField(page, 'duration').inputValue()).toBe('1 hour');
    await page.locator('.step-panel [data-field="duration"] .hint', { hasText: 'How long to wait' }).waitFor(); // the schema's help
    await fill(page, 'duration', '1 second');
    await node(page, '0').locator('.node-summary', { hasText: 'for 1 second' }).waitFor();

    // branch below it, with a path for pro users and a default path.
    await addStep(page, '', 1, 'branch');
    await page.fill('.step-panel [data-branch-path="0"] input', 'data.plan == "pro"');
    await page.locator('[data-column="1.paths[0]"] .column-label', { hasText: 'if data.plan == "pro"' }).waitFor();
    await page.locator('[data-column="1.default"] .column-label', { hasText: 'otherwise' }).waitFor();
    await addStep(page, '1.paths[0]', 0, 'send'); // its template left empty: the server will name it
    await addStep(page, '1.default', 0, 'send');
    await fill(page, 'template', 'basic-welcome');

    // wait-for after the branch: a required field left empty is marked at once, before any save.
    await addStep(page, '', 2, 'wait-for');
    await page.locator('[data-errors-for="2"]', { hasText: 'event is required' }).waitFor();
    expect(await node(page, '2').getAttribute('class')).toContain('has-error');
    await page.locator('[data-wait="2"] [data-timeout-path]', { hasText: 'timeout after 1 day' }).waitFor();
    await fill(page, 'event', 'Activated');
    await fill(page, 'timeout', '2 seconds');
    expect(await page.locator('[data-errors-for="2"]').count()).toBe(0);
    await addStep(page, '', 3, 'send');
    await fill(page, 'template', 'follow-up');

    // Save: Herald's own validation error shows at its node (inside the branch) and its field.
    await page.click('button:has-text("Save draft")');
    await page.locator('[data-errors-for="1.paths[0].0"]', { hasText: 'template' }).waitFor();
    expect(await node(page, '1.paths[0].0').getAttribute('class')).toContain('has-error');
    expect(await node(page, '1.default.0').getAttribute('class')).not.toContain('has-error');
    expect((await herald.http.get('/automations').set(ws.auth)).body.items).toEqual([]);
    await node(page, '1.paths[0].0').click();
    await page.locator('.step-panel [data-field="template"].has-error .step-error').waitFor();
    await shot(page, 'designer-error');
    await fill(page, 'template', 'pro-welcome');
    expect(await node(page, '1.paths[0].0').getAttribute('class')).not.toContain('has-error');

    // Keyboard: arrows follow the drawing (down into the branch, across its paths), Enter edits.
    await node(page, '0').focus();
    await page.keyboard.press('ArrowDown');
    await focusMovesTo(page, '1');
    await page.keyboard.press('ArrowDown');
    await focusMovesTo(page, '1.paths[0].0');
    await page.keyboard.press('ArrowRight');
    await focusMovesTo(page, '1.default.0');
    await page.keyboard.press('ArrowDown');
    await focusMovesTo(page, '2');
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await page.evaluate('document.activeElement?.closest(".step-panel") !== null')) === true, { what: 'focus in the side panel', timeoutMs: 5_000 });
    // Copy and paste a step, then delete the copy.
    await node(page, '3').focus();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await node(page, '4').waitFor();
    expect(await node(page, '4').getAttribute('data-action')).toBe('send');
    await node(page, '4').focus();
    await page.keyboard.press('Delete');
    expect(await node(page, '4').count()).toBe(0);

    const built = [
      { action: 'delay', duration: '1 second' },
      {
        action: 'branch',
        paths: [{ if: 'data.plan == "pro"', steps: [{ action: 'send', template: 'pro-welcome' }] }],
        default: { steps: [{ action: 'send', template: 'basic-welcome' }] },
      },
      { action: 'wait-for', event: 'Activated', timeout: '2 seconds' },
      { action: 'send', template: 'follow-up' },
    ];

    // The JSON tab shows the same steps; an edit there shows in the flow.
    await page.click('[role=tab]:has-text("JSON")');
    expect(JSON.parse(await page.inputValue('#steps'))).toEqual(built);
    const edited = structuredClone(built);
    (edited[2] as { timeout: string }).timeout = '3 seconds';
    await page.fill('#steps', JSON.stringify(edited, null, 2));
    await page.click('[role=tab]:has-text("Flow")');
    await node(page, '2').locator('.node-summary', { hasText: 'up to 3 seconds' }).waitFor();
    await shot(page, 'designer');

    // Publish: the first version lists every top-level step as added.
    await page.click('button:has-text("Publish…")');
    const review = page.locator('[data-publish-review]');
    await review.waitFor();
    expect(await review.locator('[data-diff=added]').evaluateAll((els) => els.map((e) => e.getAttribute('data-diff-path')))).toEqual(['0', '1', '2', '3']);
    await page.click('[data-confirm-publish]');
    await page.waitForSelector('[data-published="1"]');
    const templateId = page.url().split('#/automations/')[1];
    const saved = (await herald.http.get(`/automations/${templateId}`).set(ws.auth)).body;
    expect(saved).toMatchObject({ name: 'Onboarding', published_version: 1, steps: edited });

    // A second version: the review names the changed step and field, and the added one.
    await node(page, '2').click();
    await fill(page, 'timeout', '2 seconds');
    await addStep(page, '', 4, 'exit');
    await page.click('button:has-text("Publish…")');
    await review.waitFor();
    await review.locator('[data-diff=changed][data-diff-path="2"]', { hasText: 'timeout' }).waitFor();
    await review.locator('[data-diff=added][data-diff-path="4"]', { hasText: 'exit' }).waitFor();
    expect(await review.locator('[data-diff]').count()).toBe(2);
    await shot(page, 'designer-publish-review');
    await page.click('[data-confirm-publish]');
    await page.waitForSelector('[data-published="2"]');

    // Invoke it for a pro user, and watch the run on the flow without reloading.
    await page.fill('#invoke-recipient', 'dee');
    await page.fill('#invoke-data', '{"plan":"pro"}');
    await page.click('form[aria-label="Invoke with test data"] button[type=submit]');
    await page.locator('a[data-invoked-run]').click();
    await page.locator('[data-run-steps] .flow').waitFor();
    await node(page, '2').and(page.locator('[data-node-status=WAITING]')).waitFor({ timeout: 30_000 });
    await page.locator('[data-column="1.paths[0]"].taken').waitFor();
    expect(await page.locator('[data-column="1.default"].untaken').count()).toBe(1);
    expect(await node(page, '0').getAttribute('data-node-status')).toBe('PROCESSED');
    expect(await node(page, '1').getAttribute('data-node-status')).toBe('PROCESSED');
    expect(await node(page, '1.paths[0].0').getAttribute('data-node-status')).toBe('PROCESSED');
    expect(await node(page, '1.default.0').getAttribute('data-node-status')).toBe('NOT PROCESSED');
    await page.locator('[data-node-path="2"] ~ .node-run', { hasText: 'wakes' }).waitFor();
    await shot(page, 'run-flow-waiting');
    // The wait times out; the page follows on its own to the end.
    await page.waitForSelector('[data-run-status=PROCESSED]', { timeout: 30_000 });
    await node(page, '3').and(page.locator('[data-node-status=PROCESSED]')).waitFor();
    await node(page, '4').and(page.locator('[data-node-status=PROCESSED]')).waitFor();
    await page.locator('[data-wait="2"] [data-timeout-path].taken').waitFor();
    const runId = page.url().split('#/runs/')[1];
    const messages = await waitUntil(async () => {
      const items = (await herald.http.get('/messages').query({ run_id: runId }).set(ws.auth)).body.items as Array<{ notification: string }>;
      return items.length === 2 ? items : undefined;
    }, { what: 'the two messages of the run' });
    expect(messages.map((m) => m.notification).sort()).toEqual(['follow-up', 'pro-welcome']);
    await shot(page, 'run-flow');
    expectNoPageErrors(studio);
  }, 180_000);

  it('draws a code sequence read-only from its outline', async () => {
    const ws = await herald.newWorkspace();
    const studio = await signIn(ws.key);
    const { page } = studio;
    await go(page, '#/automations');
    await page.click('tr[data-sequence="welcome"] a:has-text("welcome")');
    const flow = page.locator('[data-sequence-flow="welcome"]');
    await flow.waitFor();
    expect(await flow.locator('[data-node-path]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['send', 'wait-for', 'branch', 'send']);
    expect(await flow.locator('[data-insert]').count()).toBe(0);
    await shot(page, 'sequence');
    expectNoPageErrors(studio);
  }, 60_000);
});

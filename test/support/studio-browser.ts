import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { startTestHerald, TestHerald, TestHeraldOptions } from './test-herald';

/** A Studio tab: the page, its uncaught errors, and every API URL it requested. */
export interface Studio {
  page: Page;
  /** Uncaught errors in the page: every test ends by checking there were none. */
  errors: string[];
  /** Every API URL the page requested. */
  requests: string[];
}

const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
let axeSource: string | undefined;
const AXE_SOURCE = () => (axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
const SHOTS = path.resolve(__dirname, '../../test-output/studio');
const WAIT = 30_000;

/**
 * The Studio's browser tests' setup, registered as the spec's beforeAll/afterAll: a real Herald
 * listening on a port and Debian's Chromium. Read `herald` and `base` inside tests (set once the
 * hooks ran).
 */
/** `options`: how the Herald under the Studio is started (its env, for example). */
export function studioHarness(options: TestHeraldOptions = {}) {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const h = {
    herald: undefined as unknown as TestHerald,
    base: '',
    async openStudio(): Promise<Studio> {
      const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT);
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) errors.push(msg.text());
      });
      page.on('request', (req) => {
        const url = new URL(req.url());
        if (!url.pathname.startsWith('/studio')) requests.push(`${req.method()} ${url.pathname}${url.search}`);
      });
      await page.goto(`${h.base}/studio`);
      return { page, errors, requests };
    },
    async signIn(key: string): Promise<Studio> {
      const studio = await h.openStudio();
      await studio.page.fill('#api-key', key);
      await studio.page.click('form[aria-label="Sign in"] button[type=submit]');
      await studio.page.waitForSelector('nav.nav');
      return studio;
    },
    /** Saves test-output/studio/<name>.png, and checks the page with axe-core on the way. */
    async shot(page: Page, name: string) {
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
      await h.expectAccessible(page, name);
    },
    /**
     * axe-core's WCAG 2.1 A/AA rules on the page as it is now: no serious or critical violation.
     * Injected through the DevTools protocol, so the Studio's CSP stays as strict as in use.
     */
    async expectAccessible(page: Page, name: string) {
      if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE());
      const violations = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
        .then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + n.failureSummary.split('\\n').slice(1, 3).join(' ')) })))`)) as unknown[];
      expect({ page: name, violations }).toEqual({ page: name, violations: [] });
    },
    async go(page: Page, hash: string) {
      await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    },
    expectNoPageErrors(studio: Studio) {
      expect(studio.errors).toEqual([]);
    },
  };
  beforeAll(async () => {
    h.herald = await startTestHerald(options);
    await h.herald.app.listen(0, '127.0.0.1');
    h.base = `http://127.0.0.1:${(h.herald.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await h.herald?.stop();
  });
  return h;
}

/**
 * The status page in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * it shows what to type into Jami (bootstrap, name server, TURN) and the node id, and its script
 * fills the health table from /api/status without violating the page's CSP.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type BrowserContext } from 'playwright-core';
import { getJson, startAppliance, tempDir, type RunningAppliance } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshot goes, for a person to look at (not compared: fonts differ between machines). */
export const SCREENSHOT = join(tmpdir(), 'lanbox-status-page.png');

let app: RunningAppliance;
let browser: BrowserContext;
let userData: { path: string; remove: () => Promise<void> };
let data: { path: string; remove: () => Promise<void> };

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-test-deps.sh does)`);
  data = await tempDir();
  userData = await tempDir('lanbox-chromium-');
  app = await startAppliance({ dataDir: data.path });
  // A fresh profile (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(userData.path, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await userData?.remove();
  await data?.remove();
});

test('the page tells what to type and shows the node id and live health', async () => {
  const status = (await getJson(`${app.base}/api/status`)).body;
  const nodeId = (status.dht as Record<string, string>).nodeId;
  const page = await browser.newPage();
  const cspViolations: string[] = [];
  const consoleErrors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.exposeFunction('reportCsp', (v: string) => cspViolations.push(v));
  // Browser-side code is passed as strings: this file is type-checked against Node's library only.
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => window.reportCsp(e.violatedDirective + ' ' + e.blockedURI));" });
  await page.goto(`${app.base}/`);

  const settings = await page.locator('#settings').innerText();
  assert.ok(settings.includes(`127.0.0.1:${app.dhtPort}`), `bootstrap address shown: ${settings}`);
  assert.ok(settings.includes(`http://127.0.0.1:${app.webPort}`), 'name server URL shown, with http://');
  assert.match(settings, /TURN username\s+ring/);
  assert.match(settings, /TURN realm\s+ring/);
  assert.match(settings, /DHT proxy address\s+127\.0\.0\.1:\d+/);

  assert.equal(await page.locator('[data-node-id]').innerText(), nodeId);
  const where = await page.locator('#where').innerText();
  for (const label of ['Advanced settings', 'Enable local peer discovery', 'Local DHT node', 'Enable notifications', 'Bootstrap', 'TURN realm']) {
    assert.ok(where.includes(label), `platform steps mention "${label}"`);
  }

  // The script ran (under the CSP) and rendered one row per service with its state.
  await page.waitForFunction("document.querySelectorAll('#health-rows tr').length === 5");
  const health = await page.locator('#health-rows').innerText();
  assert.match(health, /DHT node\s+ok/);
  assert.match(health, /DHT proxy\s+ok/);
  assert.match(health, /Name server\s+ok/);

  // The copy button copies the value (clipboard API is unavailable on plain http; the fallback selects it).
  await page.locator('#settings button.copy').first().click();
  assert.equal(await page.evaluate('getSelection().toString()'), `127.0.0.1:${app.dhtPort}`);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(cspViolations, []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('the page keeps polling: the health table follows /api/status', async () => {
  const page = await browser.newPage();
  await page.goto(`${app.base}/`);
  await page.waitForFunction("/Updated/.test(document.getElementById('updated').textContent)", undefined, { timeout: 12000 });
  await page.close();
});

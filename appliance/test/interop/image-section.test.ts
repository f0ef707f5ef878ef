/**
 * The status page's "Box setup" section (only on the SD-card image), in headless Chromium against
 * a running appliance that reads the image's status files from a temp dir: the settings file's
 * error and the DHCP server's mode and reason are shown, the card is degraded, and the section
 * stays hidden when the files are absent.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { chromium, type BrowserContext } from 'playwright-core';
import { startAppliance, tempDir, type RunningAppliance } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const cleanups: Array<() => Promise<unknown>> = [];
let browser: BrowserContext;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-test-deps.sh does)`);
  const profile = await tempDir('lanbox-chromium-');
  cleanups.push(profile.remove);
  browser = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  for (const c of cleanups.reverse()) await c();
});

async function appliance(files: Record<string, unknown>): Promise<RunningAppliance> {
  const data = await tempDir();
  const run = await tempDir('lanbox-image-run-');
  cleanups.push(data.remove, run.remove);
  for (const [name, doc] of Object.entries(files)) await writeFile(`${run.path}/${name}`, JSON.stringify(doc));
  const app = await startAppliance({ dataDir: data.path, env: { ...process.env, NOTIFY_SOCKET: '', LANBOX_IMAGE_STATUS_DIR: run.path } });
  cleanups.push(app.stop);
  return app;
}

test('settings-file errors and the DHCP refusal are on the page, and the card says it needs attention', async () => {
  const app = await appliance({
    'box-status.json': {
      settingsFile: { path: '/boot/firmware/lanbox.txt', present: true, applied: ['address', 'dhcp_server'], errors: ['line 4: unknown setting "colour"'] },
      address: '10.0.2.15/24 (static)',
      ssh: 'off (no ssh_key in the settings file)',
    },
    'dhcp-status.json': {
      mode: 'refused',
      serving: false,
      reason: 'not serving: another DHCP server answers on eth0 (10.0.2.2)',
      checkedAt: new Date().toISOString(),
      otherServers: ['10.0.2.2'],
    },
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await page.goto(`${app.base}/`);
  const section = page.locator('section#image');
  await section.locator('table').waitFor({ timeout: 20_000 });
  const text = (await section.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /Settings file \/boot\/firmware\/lanbox\.txt applied: address, dhcp_server/);
  assert.match(text, /line 4: unknown setting "colour"/);
  assert.match(text, /DHCP server refused not serving: another DHCP server answers on eth0 \(10\.0\.2\.2\)/);
  assert.match(text, /Address 10\.0\.2\.15\/24 \(static\)/);
  assert.match(text, /SSH off/);
  assert.equal(await page.locator('#card-image').getAttribute('data-state'), 'degraded');
  assert.deepEqual(problems, []);
  await page.close();
});

test('off the image the section is hidden and there is no card', async () => {
  const app = await appliance({});
  const page = await browser.newPage();
  await page.goto(`${app.base}/`);
  await page.locator('#card-dht').waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('section#image').isVisible(), false);
  assert.equal(await page.locator('#card-image').count(), 0);
  await page.close();
});

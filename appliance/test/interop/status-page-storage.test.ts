/**
 * The status page's "Stored data" section in headless Chromium: after a damaged names store was
 * recovered at start, the page says what was damaged and recovered, and its repair button (with
 * the admin token typed in) repairs the store; a wrong token is refused.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getJson, startAppliance, tempDir, waitFor } from '../helpers.js';
import { launchBrowser } from '../browser.js';
import { makeAccount, registrationBody, requestFrom } from '../jami-account.js';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
const TOKEN = 'test-token-0123456789';

test('the page shows damage and recovery of the names store, and its button repairs it with the token', { timeout: 120_000 }, async () => {
  const data = await tempDir('lbrl-page-');
  cleanups.push(data.remove);
  let app = await startAppliance({ dataDir: data.path, args: ['--admin-token', TOKEN] });
  cleanups.push(app.kill);
  const a = await makeAccount();
  assert.equal((await requestFrom(app.webPort, 'POST', '/name/alice', '127.0.0.3', registrationBody(a, 'alice'))).status, 200);
  assert.equal(await app.stop(), 0);
  await writeFile(join(data.path, 'names', 'CURRENT'), 'MANIFEST-999999\n');
  app = await startAppliance({ dataDir: data.path, args: ['--admin-token', TOKEN] });
  cleanups.push(app.kill);

  const userData = await tempDir('lbrl-chromium-');
  cleanups.push(userData.remove);
  const browser = await launchBrowser(userData.path);
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/401/.test(m.text())) problems.push(m.text());
  });
  await page.goto(`${app.base}/`);
  const section = page.locator('#storage');
  const text = (await section.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /Damage found/);
  assert.match(text, /1 names read from the store, 0 restored from the backup, 0 lost|0 names read from the store, 1 restored from the backup, 0 lost/);
  assert.match(text, /Copy of the damaged files: .*damaged/);

  await section.locator('input[type=password]').fill('wrong-token-00000000');
  await section.locator('button').click();
  await waitFor('the refusal', async () => (/Not repaired/.test(await section.innerText()) ? true : undefined), 15_000);
  assert.notEqual(((await getJson(`${app.base}/api/status`)).body as any).nameserver.state, 'ok');

  await section.locator('input[type=password]').fill(TOKEN);
  await section.locator('button').click();
  await waitFor('the repair', async () => (/Repaired: the store is ok/.test(await section.innerText()) ? true : undefined), 15_000);
  assert.equal(((await getJson(`${app.base}/api/status`)).body as any).nameserver.state, 'ok');
  assert.equal((await requestFrom(app.webPort, 'GET', '/name/alice', '127.0.0.1')).status, 200);
  assert.deepEqual(problems, []);
  assert.equal(await app.stop(), 0);
});

/**
 * The status page in a real headless Chromium (Debian's `chromium`, driven by playwright-core),
 * against a running appliance whose TURN monitor checks a real coturn:
 * - the values to type match the running configuration (/api/status `clients`, bound ports);
 * - the page keeps polling: stopping coturn turns the TURN card red without a reload, and the
 *   TURN chart shows the red slice with its reason;
 * - the QR code, drawn on the box, decodes (with jsQR, an independent decoder) to the page's address;
 * - no CSP violation, no console error; nothing wider than a 360-pixel phone screen.
 * (The screenshots in docs/ come from status-page-lan.test.ts, with devices heard on a LAN.)
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { freeUdpPort, getJson, loopbackArgs, startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';
import { dig } from '../../../packages/jami-dns/test/dig.js';
import { CHROMIUM, decodeQr, launchBrowser } from '../browser.js';
import { renderStatusPage } from '../../src/web/status-page.js';
// Reused from the packages' own tests: the lab coturn (loopback peers allowed) and signed Jami registrations.
import { startCoturn, type Coturn } from '../../../packages/turn-monitor/test/helpers/coturn.js';
import { makeAccounts, registrationBody } from '../../../packages/nameserver/test/helpers.js';

let app: RunningAppliance;
let coturn: Coturn;
let browser: BrowserContext;
let userData: { path: string; remove: () => Promise<void> };
let data: { path: string; remove: () => Promise<void> };

/** Polled from here: the page's CSP forbids the eval that playwright's in-page predicates need. */
const until = (check: () => Promise<boolean>, timeoutMs: number, what: string) => waitFor(what, async () => ((await check()) ? true : undefined), timeoutMs);

/** A page that records CSP violations and console errors (checked at the end of each test). */
async function openPage(width: number, height: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.exposeFunction('reportCsp', (v: string) => problems.push(`CSP: ${v}`));
  // Browser-side code is passed as strings: this file is type-checked against Node's library only.
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.reportCsp(e.violatedDirective + ' ' + e.blockedURI));",
  });
  await page.goto(`${app.base}/`);
  return { page, problems };
}

const cardState = (page: Page, service: string) => page.locator(`#card-${service}`).getAttribute('data-state');

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/install-test-deps.sh does)`);
  data = await tempDir();
  userData = await tempDir('lanbox-chromium-');
  coturn = await startCoturn();
  const base = await loopbackArgs(data.path);
  const turnAt = base.args.indexOf('--turn');
  base.args[turnAt + 1] = `turn://ring:ring@127.0.0.1:${coturn.port}`;
  app = await startAppliance({ dataDir: data.path, baseArgs: base });
  // Two real registrations (signed like jamid's), so the names section has something to show.
  const accounts = await makeAccounts(2);
  for (const [i, a] of accounts.entries()) {
    const name = ['alice', 'bob'][i] as string;
    const r = await fetch(`${app.base}/name/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: registrationBody(a, name) });
    assert.equal(r.status, 200, await r.text());
  }
  browser = await launchBrowser(userData.path);
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await coturn?.stop();
  await userData?.remove();
  await data?.remove();
});

test('the values to type are those of the running configuration; cards, answer and sections render', async () => {
  const status = (await getJson(`${app.base}/api/status`)).body;
  const clients = status.clients as {
    bootstrap: string[];
    nameServer: string[];
    proxy: string[];
    turn: { addresses: string[]; username: string; password: string; realm: string };
  };
  const st = status;
  const dht = status.dht as { nodeId: string; ports: { udp4: number } };
  assert.equal(dht.ports.udp4, app.dhtPort);
  const { page, problems } = await openPage(1280, 900);

  const settings = await page.locator('#settings').innerText();
  assert.deepEqual(clients.bootstrap, [`127.0.0.1:${app.dhtPort}`]);
  assert.deepEqual(clients.nameServer, [`http://127.0.0.1:${app.webPort}`]);
  assert.deepEqual(clients.turn.addresses, [`127.0.0.1:${coturn.port}`]);
  const row = (label: string, value: string) => new RegExp(`${label}\\s+${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*Copy`);
  assert.match(settings, row('Bootstrap', clients.bootstrap.join(';')));
  assert.match(settings, row('Name server', clients.nameServer[0] as string));
  assert.match(settings, row('TURN address', clients.turn.addresses[0] as string));
  assert.match(settings, row('TURN username', clients.turn.username));
  assert.match(settings, row('TURN password', clients.turn.password));
  assert.match(settings, row('TURN realm', clients.turn.realm));
  assert.deepEqual(clients.proxy, [`127.0.0.1:${(st.proxy as { port: number }).port}`]);
  assert.match(settings, row('DHT proxy address', clients.proxy[0] as string));
  assert.equal(await page.locator('[data-node-id]').innerText(), dht.nodeId);

  const where = await page.locator('#where').innerText();
  for (const label of [
    'Advanced settings',
    'Enable local peer discovery',
    'Local DHT node',
    'Enable notifications',
    'Bootstrap',
    'TURN realm',
    'only while Jami is open',
  ]) {
    assert.ok(where.includes(label), `platform steps mention "${label}"`);
  }

  // The script ran under the CSP: one card per service (and the box), state in words.
  // One card per member of /api/status with a state and a summary: services added later included.
  const services = Object.entries(status)
    .filter(([, v]) => typeof (v as { state?: unknown }).state === 'string' && typeof (v as { summary?: unknown }).summary === 'string')
    .map(([k]) => k);
  assert.ok(
    ['dht', 'discovery', 'nameserver', 'proxy', 'push', 'turn', 'system', 'replication'].every((k) => services.includes(k)),
    services.join(),
  );
  await until(async () => (await page.locator('#services .card').count()) === services.length, 10000, `${services.length} cards`);
  for (const k of services) assert.equal(await page.locator(`#card-${k}`).count(), 1, `card for ${k}`);
  assert.match(await page.locator('#card-dns').innerText(), /Jami DNS mode\s+turned off/);
  assert.match(await page.locator('#jami-dns').innerText(), /Nothing to type: Jami DNS mode\s+off\s+When this box is the LAN's DNS server/);
  assert.match(await page.locator('#card-replication').innerText(), /Shared name registry\s+working\s+no other box known yet/);
  assert.match(await page.locator('#boxes').innerText(), /Other boxes of this site[\s\S]*No other box found yet/);
  assert.match(await page.locator('#card-dht').innerText(), /DHT node\s+working/);
  assert.match(await page.locator('#card-proxy').innerText(), /DHT proxy\s+working/);
  assert.match(await page.locator('#card-nameserver').innerText(), /Name server\s+working\s+2 names registered/);
  assert.match(await page.locator('#card-system').innerText(), /The box\s+(working|needs attention)\s+load/);
  assert.match(await page.locator('#answer').innerText(), /Is Jami working on this LAN\?\s+(Yes|Partly):/);
  assert.match(await page.locator('#names').innerText(), /Names\s+2 \(limit \d+\)[\s\S]*bob\s+\d+ s ago[\s\S]*alice/);
  assert.match(
    await page.locator('#box').innerText(),
    /CPU load\s+[\d.]+ · [\d.]+ · [\d.]+ \(1, 5, 15 min\)[\s\S]*Free space\s+[\d.]+ [KMGT]?B free of[\s\S]*Temperature\s+\S/,
  );
  assert.match(await page.locator('#nearby').innerText(), /Local peer discovery is turned off/);
  // With the box's proxy and push service: the ntfy URL to copy, and their health and counts.
  assert.match(settings, row('Push server \\(ntfy\\)', `http://127.0.0.1:${(st.push as { port: number }).port}`));
  const phones = await page.locator('#proxy').innerText();
  assert.match(phones, /Proxy\s+working[\s\S]*Phones connected\s+\d+[\s\S]*Pushes\s+0 sent, 0 failed, 0 refused[\s\S]*Push service\s+working/);
  assert.match(where, /keep Use DHT proxy on, set DHT proxy address to the DHT proxy address above, and switch Use DHT proxy list off/);

  // The copy button selects the value (the clipboard API needs a secure context; the box is plain http).
  await page.locator('#settings button.copy').first().click();
  assert.equal(await page.evaluate('getSelection().toString()'), clients.bootstrap.join(';'));

  assert.deepEqual(problems, []);
  await page.close();
});

test('the QR code, made on the box, decodes to the page address', async () => {
  const { page, problems } = await openPage(1280, 900);
  const decoded = decodeQr(await page.locator('svg.qr').screenshot());
  assert.ok(decoded !== null, 'jsQR found a QR code');
  assert.equal(decoded, page.url());
  assert.equal(decoded, `http://127.0.0.1:${app.webPort}/`);
  assert.equal(await page.locator('#page-url').innerText(), decoded);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the page keeps polling: stopping coturn turns the TURN card red without a reload', async () => {
  const { page, problems } = await openPage(1280, 900);
  let loads = 0;
  page.on('load', () => loads++);
  // The first probe runs at start; the card must be green from real data before coturn goes away.
  await until(async () => (await cardState(page, 'turn')) === 'ok', 90000, 'TURN card green (first probe of coturn)');
  assert.match(await page.locator('#turn-history').innerText(), /none failed/);
  await page.evaluate('window.lanboxMarker = 42');
  const updated = await page.locator('#updated').innerText();

  await coturn.stop();
  // The monitor probes once a minute: the next probe finds coturn gone.
  await until(async () => (await cardState(page, 'turn')) === 'down', 100000, 'TURN card red after coturn stopped');
  assert.equal(await page.evaluate('window.lanboxMarker'), 42, 'same document: no reload');
  assert.equal(loads, 0, 'no load event since the card was green');
  assert.notEqual(await page.locator('#updated').innerText(), updated);
  assert.match(await page.locator('#card-turn').innerText(), /TURN\s+not working\s+turn:\/\/ring@127\.0\.0\.1:\d+: down \(tcp-connect/);
  assert.match(await page.locator('#answer').innerText(), /Partly: .*TURN needs attention/);
  assert.match(await page.locator('#turn-history').innerText(), /not working\s+from [\d.]+ (s|min) ago to now: tcp-connect/);
  assert.equal((await page.locator('#turn-chart-0 rect[data-state="down"]').count()) > 0, true, 'a red slice in the chart');

  // With a red card and a long reason, still nothing wider than a phone screen.
  await page.setViewportSize({ width: 360, height: 760 });
  const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.equal(overflow, 0, 'nothing wider than a 360-pixel phone screen');
  assert.deepEqual(problems, []);
  await page.close();
});

test('services wired later show up from their /api/status members alone: DHT proxy and push', async () => {
  // The page as the box renders it, fed the status shapes the proxy and push services report
  // (packages/proxy ProxyStatus, packages/push PushServiceStatus), without a box behind it.
  const status = {
    appliance: { statusAt: 1_800_000_000_000 },
    dht: { state: 'ok', summary: 'UDP 4222' },
    proxy: {
      state: 'degraded',
      summary: '3 phone(s); requests do not reach the DHT: get answered 502',
      listening: true,
      clients: 3,
      listens: 5,
      subscriptions: { total: 4, unifiedpush: 2, android: 1, ios: 1, none: 0 },
      pushes: { sent: 7, failed: 1, refused: 2, undeliverable: 0, dropped: 0, encrypted: 6, inFlight: 0 },
    },
    push: { state: 'ok', summary: '2 phone stream(s)', url: 'http://10.0.0.5:8082', subscribers: 2, topics: 2, published: 9, delivered: 8, cachedMessages: 1 },
  };
  const html = renderStatusPage({
    hostname: 'lanbox',
    version: 'test',
    addresses: ['10.0.0.5'],
    dhtPort: 4222,
    nodeId: null,
    nameServerUrls: null,
    turn: null,
    proxy: { addresses: ['10.0.0.5:8080'] },
    ntfyUrls: ['http://10.0.0.5:8082'],
    discovery: true,
    pageUrl: 'http://10.0.0.5/',
    initialStatus: status,
  });
  const page = await browser.newPage();
  await page.setContent(html);
  assert.match(await page.locator('#card-proxy').innerText(), /DHT proxy\s+needs attention\s+3 phone\(s\); requests do not reach the DHT/);
  assert.match(await page.locator('#card-push').innerText(), /Push \(ntfy\)\s+working/);
  assert.match(await page.locator('#answer').innerText(), /Partly: .*the DHT proxy needs attention/);
  const proxy = await page.locator('#proxy').innerText();
  assert.match(proxy, /Phones connected\s+3 · 5 listening/);
  assert.match(proxy, /Push subscriptions\s+4 \(2 UnifiedPush, 1 Android, 1 iOS\)/);
  assert.match(proxy, /Pushes\s+7 sent, 1 failed, 2 refused/);
  assert.match(proxy, /ntfy apps connected\s+2 · 2 topics/);
  assert.match(proxy, /Notifications\s+9 received, 8 delivered · 1 waiting/);
  assert.match(await page.locator('#settings').innerText(), /Push server \(ntfy\)\s+http:\/\/10\.0\.0\.5:8082/);
  await page.close();
});

test('Jami DNS mode on: the section says what it does, devices per name, the warning and the name server', async () => {
  const dnsData = await tempDir();
  const base = await loopbackArgs(dnsData.path);
  const dnsPort = await freeUdpPort();
  // --no-proxy: with the proxy on, DNS mode also opens TCP 80-95, which a test may only do in a
  // network namespace of its own (jami-dns-netns.test.ts).
  const box = await startAppliance({ dataDir: dnsData.path, baseArgs: base, args: ['--jami-dns', '--dns-port', String(dnsPort), '--no-proxy'] });
  try {
    for (const type of ['A', 'AAAA']) {
      const r = await dig('127.0.0.1', dnsPort, 'bootstrap.jami.net', type);
      assert.equal(r.status, 'NOERROR');
    }
    const st = (await getJson(`http://127.0.0.1:${box.webPort}/api/status`)).body as {
      dns: { devicesLastHour: Record<string, number>; defaultRoute: boolean; warning: string | null };
    };
    assert.equal(st.dns.devicesLastHour['bootstrap.jami.net'], 1);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${box.webPort}/`);
    await until(
      async () => /bootstrap\.jami\.net\s+1 device asked in the last hour/.test(await page.locator('#jami-dns').innerText()),
      10000,
      'devices per name',
    );
    const text = await page.locator('#jami-dns').innerText();
    assert.match(text, /\bon\s+The box answers DNS for bootstrap\.jami\.net, turn\.jami\.net and dhtproxy\.jami\.net/);
    assert.match(text, /config\.jami\.net\s+0 devices asked in the last hour/);
    assert.match(text, new RegExp(`the name server http://127\\.0\\.0\\.1:${box.webPort}`));
    // The box reads its own routing table: whichever way this machine is set up, the page says it.
    if (st.dns.defaultRoute) assert.ok(text.includes(st.dns.warning ?? 'no warning text'), 'the default-route warning is shown');
    else assert.doesNotMatch(text, /default route/);
    await page.close();
  } finally {
    await box.stop();
    await dnsData.remove();
  }
});

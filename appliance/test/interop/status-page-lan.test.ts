/**
 * The status page as a person on the LAN sees it: two network namespaces this test creates (host A:
 * the box, with its coturn; host B: other devices), joined by a veth pair, so no datagram leaves
 * the machine. In host B a real `dhtnode -D` announces itself by OpenDHT's peer discovery, and the
 * captured announcement of a Jami account ("Alice Example", sent by libopendht's PeerDiscovery as
 * the Jami daemon does; packages/discovery/test/vectors) is replayed to the multicast group.
 * Headless Chromium runs inside host A and opens the page at the box's LAN address:
 * - "Heard on this LAN" lists the account with its display name and the DHT node, with how long ago;
 * - the QR code decodes (jsQR) to the LAN address the page was opened at;
 * - the page is captured at desktop width and at 360 px (the full page, as wide as the screen);
 *   with LANBOX_SCREENSHOTS=1 (`npm run screenshots`) the captures replace docs/screenshots
 *   (shown in docs/operations.md), otherwise nothing in the tree is written.
 * Needs root (`ip netns`).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { createVethPair } from '../veth-pair.js';
import { APPLIANCE_DIR, startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';
import { CHROMIUM, decodeQr, launchBrowser } from '../browser.js';

/** Tracked files: rewritten only when asked, so that `npm test` leaves the working tree clean. */
const SCREENSHOT_DIR = process.env.LANBOX_SCREENSHOTS === '1' ? resolve(APPLIANCE_DIR, '../docs/screenshots') : null;
/** A Jami account's announcement (dht + jami services) as libopendht 2.4.12 sends it. */
const JAMI_ANNOUNCEMENT = JSON.parse(
  readFileSync(resolve(APPLIANCE_DIR, '../packages/discovery/test/vectors/peer-discovery-2.4/15_ipv4_announce_dht+jami_multicast.json'), 'utf8'),
) as { payload_hex: string; dst: { addr: string; port: number } };

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// Namespaces and links carry this branch's tag and a random suffix; addresses from RFC 2544's
// benchmark block, distinct from the other namespace tests.
const TAG = `lbpg${randomBytes(3).toString('hex')}`;
const A = { ns: `${TAG}a`, iface: `${TAG}x`, ipv4: '198.19.77.1', ipv6: 'fd6c:6278:7777::1' };
const B = { ns: `${TAG}b`, iface: `${TAG}y`, ipv4: '198.19.77.2', ipv6: 'fd6c:6278:7777::2' };
const PAGE = `http://${A.ipv4}:8080/`;

let app: RunningAppliance;
let browser: BrowserContext;

function spawnIn(ns: string, cmd: string, args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
  // `ip netns exec` execs the command, so the pid is the program's own.
  const proc = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: [stdin, 'ignore', 'ignore'] });
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return proc;
}

before(async () => {
  await createVethPair(A, B, cleanups);

  // The box's coturn, as on the box (Jami's default credentials), on host A's LAN address.
  const turnDir = await tempDir('lanbox-coturn-');
  cleanups.push(turnDir.remove);
  const conf = join(turnDir.path, 'turnserver.conf');
  await writeFile(
    conf,
    [
      `listening-ip=${A.ipv4}`,
      `relay-ip=${A.ipv4}`,
      'listening-port=3478',
      'min-port=49152',
      'max-port=49199',
      'fingerprint',
      'lt-cred-mech',
      'user=ring:ring',
      'realm=ring',
      'no-tls',
      'no-dtls',
      'no-cli',
      'no-rfc5780',
      `userdb=${join(turnDir.path, 'turndb')}`,
      `pidfile=${join(turnDir.path, 'turnserver.pid')}`,
      `log-file=${join(turnDir.path, 'turn.log')}`,
      'simple-log',
      'no-stdout-log',
      '',
    ].join('\n'),
  );
  spawnIn(A.ns, '/usr/bin/turnserver', ['-c', conf]);

  // The box on its real defaults inside host A (web 8080, DHT 4222, discovery 8888, TURN 3478).
  const data = await tempDir();
  cleanups.push(data.remove);
  app = await startAppliance({
    dataDir: data.path,
    baseArgs: { args: ['--data-dir', data.path, '--turn', `turn://ring:ring@${A.ipv4}:3478`], webPort: 8080, dhtPort: 4222 },
    wrap: ['ip', 'netns', 'exec', A.ns],
  });
  cleanups.push(app.kill);

  // Host B: a real dhtnode announcing itself, and a Jami account's announcement once a second
  // (at most 180 times, then the sender exits by itself).
  spawnIn(B.ns, 'dhtnode', ['-p', '0', '-D'], 'pipe');
  const sender = [
    "const s = require('node:dgram').createSocket('udp4');",
    `const p = Buffer.from('${JAMI_ANNOUNCEMENT.payload_hex}', 'hex'); let n = 0;`,
    `s.bind(0, '${B.ipv4}', () => { s.setMulticastInterface('${B.ipv4}');`,
    `  const t = setInterval(() => { s.send(p, ${JAMI_ANNOUNCEMENT.dst.port}, '${JAMI_ANNOUNCEMENT.dst.addr}'); if (++n >= 180) { clearInterval(t); s.close(); } }, 1000); });`,
  ].join('\n');
  spawnIn(B.ns, process.execPath, ['-e', sender]);

  // Chromium inside host A, like a laptop on the box's LAN (playwright talks to it over a pipe).
  const bin = await tempDir('lanbox-chromium-bin-');
  cleanups.push(bin.remove);
  const wrapper = join(bin.path, 'chromium-in-netns');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${A.ns} ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  const userData = await tempDir('lanbox-chromium-');
  cleanups.push(userData.remove);
  browser = await launchBrowser(userData.path, wrapper);
  cleanups.push(() => browser.close());
});

async function text(page: Page, selector: string): Promise<string> {
  return page.locator(selector).innerText();
}

test('on the LAN: the page lists the Jami account and DHT node heard, its QR code is the LAN address; screenshots', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(PAGE);

  // On the page (at load, or by a later poll): the account by its announced name, the node by address.
  const nearby = await waitFor(
    'the account and the DHT node of host B on the page',
    async () => {
      const t = await text(page, '#nearby');
      return /Alice Example/.test(t) && t.includes(B.ipv4) ? t : undefined;
    },
    60000,
  );
  assert.match(nearby, /Jami accounts \(1\)\s+Name\s+Account\s+Last heard\s+Alice Example\s+093f14e12449…\s+\d+ s ago/);
  assert.match(nearby, new RegExp(`DHT nodes \\(\\d+\\)[\\s\\S]*${B.ipv4.replace(/\./g, '\\.')}:\\d+\\s+\\d+ s ago`));
  assert.match(await text(page, '#card-discovery'), /Local peer discovery\s+working\s+\d+ DHT nodes and 1 Jami accounts nearby/);

  // The bootstrap to type is the LAN address, and the QR code carries the address the page was opened at.
  assert.match(await text(page, '#settings'), new RegExp(`Bootstrap\\s+${A.ipv4.replace(/\./g, '\\.')}:4222`));
  assert.equal(decodeQr(await page.locator('svg.qr').screenshot()), PAGE);

  // The box's coturn answers the TURN monitor's first probe: every service that is on works.
  await waitFor('TURN card green', async () => ((await page.locator('#card-turn').getAttribute('data-state')) === 'ok' ? true : undefined), 60000);
  assert.match(await text(page, '#answer'), /Yes: devices that use the settings below can find each other/);
  // At least one poll done (the first is 5 s after load), so the screenshot shows a live page.
  await waitFor('a poll of /api/status', async () => (/^Updated /.test(await text(page, '#updated')) ? true : undefined), 15000);

  const desktop = await page.screenshot({ fullPage: true });
  await page.setViewportSize({ width: 360, height: 760 });
  assert.equal(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0, 'fits a 360-pixel screen');
  const phone = await page.screenshot({ fullPage: true });
  assert.equal(PNG.sync.read(phone).width, 360, 'the phone capture is as wide as the screen');
  if (SCREENSHOT_DIR !== null) {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await writeFile(join(SCREENSHOT_DIR, 'status-page-desktop.png'), desktop);
    await writeFile(join(SCREENSHOT_DIR, 'status-page-phone.png'), phone);
  }

  assert.deepEqual(problems, []);

  // The box goes away: the page says it cannot tell, instead of showing the last state as current.
  assert.equal(await app.stop(), 0);
  await waitFor(
    'the page to notice the box is gone',
    async () => (/\?\s+Unknown: this page cannot reach the box/.test(await text(page, '#answer')) ? true : undefined),
    20000,
  );
  assert.equal(await page.locator('#card-dht').getAttribute('data-state'), 'unknown');
  assert.match(await text(page, '#updated'), /not answering/);
  // The failed fetches are the only console errors (Chromium logs each refused connection).
  assert.deepEqual(
    problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(p)),
    [],
  );
  await page.close();
});

/**
 * Several boxes, one site (issue 15): real appliance processes (the built bundle), each in its own
 * network namespace, on one bridge this test creates; the test talks to them from a client
 * namespace on the same bridge. Boxes find each other by multicast (the `lanbox` discovery
 * service) or by --peer-box, share one name registry, and their DHTs join into one network.
 * Also reports how long one new name takes to reach the other boxes. Needs root (`ip netns`).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, createHash, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { chmod, writeFile } from 'node:fs/promises';
import { CHROMIUM, launchBrowser } from '../browser.js';
import { APPLIANCE_DIR, startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';
import { createSite, type Site, type SiteHost } from '../site.js';

const run = promisify(execFile);
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const SITE_KEY = 'site-key-of-the-multibox-test';
let bundle: string;

before(async () => {
  const out = await tempDir('lanbox-bundle-');
  cleanups.push(out.remove);
  await run(process.execPath, [join(APPLIANCE_DIR, 'build.mjs'), '--outdir', out.path]);
  bundle = join(out.path, 'lanbox.mjs');
});

interface Account {
  key: KeyObject;
  addr: string;
  publickey: string;
}

async function account(): Promise<Account> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return {
    key: privateKey,
    addr: createHash('sha1')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
    publickey: Buffer.from(String(publicKey.export({ type: 'spki', format: 'pem' }))).toString('base64'),
  };
}

function body(a: Account, name: string, signature?: string): string {
  const sig = signature ?? sign('sha512', Buffer.from(name), { key: a.key, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
  return JSON.stringify({ addr: a.addr, owner: a.addr, signature: sig, publickey: a.publickey });
}

interface Box {
  host: SiteHost;
  dataDir: string;
  app: RunningAppliance;
  url(path: string): string;
}

async function startBox(host: SiteHost, dataDir: string, extra: string[] = []): Promise<Box> {
  const app = await startAppliance({
    dataDir,
    // Inside our namespaces the box runs on its real defaults (web 8080, DHT 4222, discovery
    // 8888); TURN is probed at a dead loopback port.
    baseArgs: { args: ['--data-dir', dataDir, '--turn', 'turn://ring:ring@127.0.0.1:9', '--site-key', SITE_KEY, ...extra], webPort: 8080, dhtPort: 4222 },
    bundle,
    wrap: ['ip', 'netns', 'exec', host.ns],
  });
  cleanups.push(app.kill);
  return { host, dataDir, app, url: (path) => `http://${host.mgmt}:8080${path}` };
}

async function status(site: Site, box: Box): Promise<Record<string, any>> {
  const res = await site.http('GET', box.url('/api/status'));
  assert.equal(res.status, 200);
  return res.body as Record<string, any>;
}

async function owner(site: Site, box: Box, name: string): Promise<string | null> {
  const res = await site.http('GET', box.url(`/name/${name}`));
  return res.status === 200 ? String(res.body.addr).replace(/^0x/, '') : null;
}

async function nameOf(site: Site, box: Box, addr: string): Promise<string | null> {
  const res = await site.http('GET', box.url(`/addr/${addr}`));
  return res.status === 200 ? String(res.body.name) : null;
}

async function register(site: Site, box: Box, a: Account, name: string): Promise<number> {
  return (await site.http('POST', box.url(`/name/${name}`), body(a, name))).status;
}

const upPeers = (s: Record<string, any>): number =>
  (s.replication.peers as Array<{ state: string; id: string | null }>).filter((p) => p.state === 'up' && p.id !== null).length;

test('three boxes on one bridge: found by multicast, one registry, one DHT; split, healing, catch-up, rogue records', async (t) => {
  const site = await createSite(3);
  cleanups.push(site.destroy);
  const accounts = await Promise.all(Array.from({ length: 5 }, () => account()));
  const [alice, mallory, carol, dave, erin] = accounts as [Account, Account, Account, Account, Account];
  const dirs = await Promise.all(site.boxes.map(() => tempDir('lanbox-multibox-')));
  for (const d of dirs) cleanups.push(d.remove);
  const boxes = await Promise.all(site.boxes.map((h, i) => startBox(h, dirs[i]!.path)));
  const [one, two, three] = boxes as [Box, Box, Box];

  // No --peer-box: the boxes hear each other's `lanbox` announcements, and their DHTs join.
  for (const b of boxes) {
    await waitFor(`${b.host.ipv4} to reach both other boxes`, async () => (upPeers(await status(site, b)) === 2 ? true : undefined), 60_000);
  }
  for (const b of boxes) {
    await waitFor(`${b.host.ipv4}'s DHT to hold the two other boxes`, async () => ((await status(site, b)).dht.nodes.good >= 2 ? true : undefined), 60_000);
  }

  // A name registered on box 1 resolves on boxes 2 and 3, by name and by address.
  const t0 = performance.now();
  assert.equal(await register(site, one, alice, 'alice'), 200);
  const acked = performance.now();
  const seen: number[] = [];
  for (const b of [two, three]) {
    assert.equal(await waitFor('alice on the other boxes', async () => (await owner(site, b, 'alice')) ?? undefined, 20_000), alice.addr);
    seen.push(performance.now());
    assert.equal(await nameOf(site, b, alice.addr), 'alice');
  }
  t.diagnostic(
    `one new name: acknowledged by box 1 after ${(acked - t0).toFixed(0)} ms (boxes 2 and 3 reserved it, then stored it, before that); resolvable on box 2 after ${(seen[0]! - t0).toFixed(0)} ms and on box 3 after ${(seen[1]! - t0).toFixed(0)} ms (polled every 100 ms)`,
  );

  // While every box is reachable, the same name is refused on another box.
  assert.equal(await register(site, two, mallory, 'alice'), 409);
  assert.equal(await owner(site, two, 'alice'), alice.addr);

  // A split: box 3's link goes down. Both sides register the same name with different keys.
  await site.linkDown(three.host);
  assert.equal(await register(site, one, carol, 'shared'), 200);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await register(site, three, dave, 'shared'), 200, 'a split site keeps registering');
  assert.equal(await owner(site, three, 'shared'), dave.addr);
  assert.equal(await register(site, three, erin, 'island'), 200);
  const beforeHeal = await Promise.all([one, two].map((b) => status(site, b)));
  assert.ok(
    beforeHeal.every((s) => s.nameserver.names === 2),
    'boxes 1 and 2 hold alice and shared',
  );

  await site.linkUp(three.host);
  // Healing: every box answers the same owner (the earlier registration, see docs/multi-box.md).
  for (const b of boxes) {
    await waitFor(`one owner for "shared" on ${b.host.ipv4}`, async () => ((await owner(site, b, 'shared')) === carol.addr ? true : undefined), 60_000);
    await waitFor(`"island" on ${b.host.ipv4}`, async () => ((await owner(site, b, 'island')) === erin.addr ? true : undefined), 60_000);
  }
  const st3 = await status(site, three);
  assert.equal(st3.replication.conflictsLost, 1);
  assert.equal(st3.replication.conflicts[0].name, 'shared');
  assert.equal(st3.replication.conflicts[0].lost.addr, dave.addr, 'the losing box keeps the losing record');
  assert.equal(st3.replication.conflicts[0].winner.addr, carol.addr);
  assert.equal(st3.replication.state, 'degraded');
  for (const b of [one, two]) assert.equal((await status(site, b)).replication.conflictsLost, 0);
  // Nothing else changed: the same three names everywhere, dave's address holds no name.
  for (const b of boxes) {
    assert.equal((await status(site, b)).nameserver.names, 3);
    assert.equal(await owner(site, b, 'alice'), alice.addr);
    assert.equal(await nameOf(site, b, dave.addr), null);
  }
  // The losing box's status page shows the other boxes and the conflict (Chromium in the client namespace).
  const bin = await tempDir('lanbox-multibox-bin-');
  cleanups.push(bin.remove);
  const wrapper = join(bin.path, 'chromium-in-netns');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${site.client.ns} ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  const browser = await launchBrowser(join(bin.path, 'profile'), wrapper);
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(three.url('/'));
  const section = page.locator('#boxes');
  await waitFor(
    'the page to list both other boxes as reachable and the conflict',
    async () => {
      const text = await section.innerText();
      return (text.match(/\breachable\b/g) ?? []).length >= 2 && text.includes('shared') && text.includes(dave.addr.slice(0, 12)) ? text : undefined;
    },
    30_000,
  );
  await browser.close();

  // A box down for a while catches up after its restart.
  assert.equal(await two.app.stop(), 0);
  const late = await account();
  assert.equal(await register(site, one, late, 'while-away'), 200);
  const restarted = await startBox(two.host, two.dataDir);
  assert.equal(await waitFor('the restarted box to catch up', async () => (await owner(site, restarted, 'while-away')) ?? undefined, 60_000), late.addr);

  // A rogue host pushes records with bad signatures: refused, counted, then throttled.
  const forged = { name: 'forged', ...JSON.parse(body(mallory, 'forged', Buffer.alloc(256, 1).toString('base64'))), registeredAt: Date.now() };
  const push = await site.http('POST', one.url('/api/replication/v1/push'), JSON.stringify({ records: [forged, { ...forged, name: 'forged2' }] }));
  assert.equal(push.status, 200);
  assert.deepEqual(push.body, { accepted: 0, refused: 2, bad: 2 });
  assert.equal(await owner(site, one, 'forged'), null);
  const flood = JSON.stringify({ records: Array.from({ length: 30 }, (_, i) => ({ ...forged, name: `forged${i + 10}` })) });
  await site.http('POST', one.url('/api/replication/v1/push'), flood);
  assert.equal((await site.http('GET', one.url('/api/replication/v1/hello'))).status, 429, 'the rogue is blocked');
  const st1 = await status(site, one);
  assert.ok(st1.replication.counters.badRecords >= 32);
  const rogue = (st1.replication.sources as Array<{ address: string; blocked: boolean }>).find((s) => s.address === one.host.clientAddress);
  assert.equal(rogue?.blocked, true);
  assert.ok(st1.replication.counters.throttled >= 1);
  // The other boxes still talk to box 1.
  const other = await account();
  assert.equal(await register(site, restarted, other, 'after-rogue'), 200);
  assert.equal(await waitFor('a name from box 2 on box 1', async () => (await owner(site, one, 'after-rogue')) ?? undefined, 20_000), other.addr);
  for (const b of [one, three, restarted]) assert.equal(await b.app.stop(), 0);
});

test('two boxes without multicast: --peer-box on one side is enough, the DHTs join, removals replicate', async () => {
  const site = await createSite(2, '198.19.16');
  cleanups.push(site.destroy);
  const dirs = await Promise.all(site.boxes.map(() => tempDir('lanbox-multibox-')));
  for (const d of dirs) cleanups.push(d.remove);
  const [ha, hb] = site.boxes as [SiteHost, SiteHost];
  const a = await startBox(ha, dirs[0]!.path, ['--no-discovery', '--admin-token', 'operator-token-123456']);
  const b = await startBox(hb, dirs[1]!.path, ['--no-discovery', '--peer-box', `${ha.ipv4}:8080`]);
  for (const box of [a, b]) await waitFor('the two boxes to know each other', async () => (upPeers(await status(site, box)) === 1 ? true : undefined), 30_000);
  await waitFor("box A's DHT to hold box B", async () => ((await status(site, a)).dht.nodes.good >= 1 ? true : undefined), 30_000);

  const bob = await account();
  assert.equal(await register(site, b, bob, 'bob'), 200);
  assert.equal(await waitFor('bob on box A', async () => (await owner(site, a, 'bob')) ?? undefined, 20_000), bob.addr);
  // The operator removes the name on box A with its admin token; the site key carries it to B.
  const removed = await site.http('DELETE', a.url('/name/bob'), undefined, { Authorization: 'Bearer operator-token-123456' });
  assert.equal(removed.status, 200);
  await waitFor('the removal on box B', async () => ((await owner(site, b, 'bob')) === null ? true : undefined), 20_000);
  assert.equal(await nameOf(site, b, bob.addr), null);
  for (const box of [a, b]) assert.equal(await box.app.stop(), 0);
});

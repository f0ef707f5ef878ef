/**
 * Issue 14 end to end: real jamid devices whose accounts are created with only the account type,
 * alias and archive password (every server setting left at Jami's defaults: bootstrap.jami.net,
 * turn.jami.net, ns.jami.net, config.jami.net/dhtproxy.jami.net), in network namespaces whose
 * resolver is the box in Jami DNS mode. The box's DNS turns those defaults into the box.
 * Needs root, Debian's jami-daemon, dbus-daemon, coturn and nftables (`nft` counts a device's DHT datagrams).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createLan,
  createSteps,
  createTeardown,
  NameLookup,
  NameRegistration,
  startBox,
  startJamiDevice,
  waitFor,
  type Box,
  type Details,
  type JamiDevice,
  type Lan,
  type LanHost,
} from '@lanbox/e2e';

/** What a user gives the Jami wizard: nothing about servers. */
const defaultAccount = (alias: string, extra: Details = {}): Details => ({
  'Account.type': 'RING',
  'Account.alias': alias,
  'Account.archivePassword': 'zero-config test',
  ...extra,
});

const steps = createSteps();
const teardown = createTeardown();
let lan: Lan;
let box: Box;
/** This test's own files (logs, data, jamid homes), kept apart from other runs' temp dirs. */
let workDir: string;

/** The namespace's resolver is the box: `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf. */
async function useBoxAsResolver(host: LanHost): Promise<void> {
  const dir = `/etc/netns/${host.ns}`;
  await mkdir(dir, { recursive: true });
  teardown.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await writeFile(`${dir}/resolv.conf`, `nameserver ${box.ip}\noptions timeout:2 attempts:2\n`);
}

async function device(name: string): Promise<JamiDevice> {
  const host = lan.hosts[name] ?? (await lan.addHost(name));
  await useBoxAsResolver(host);
  const dir = join(workDir, `jami-${name}`);
  await mkdir(dir, { recursive: true });
  return steps.step(`jamid on ${name}`, () => startJamiDevice({ host, teardown, dir }));
}

/**
 * Successful TURN allocations per client address, from coturn's verbose log: its ALLOCATE lines
 * name only the session, and other lines of the same session name the remote address.
 */
function allocationsByRemote(log: string): Map<string, number> {
  const remote = new Map<string, string>();
  const allocated = new Map<string, number>();
  for (const line of log.split('\n')) {
    const session = /session (\d+):/.exec(line)?.[1];
    if (session === undefined) continue;
    const ip = /remote(?:ly)? (\d+\.\d+\.\d+\.\d+):\d+/.exec(line)?.[1];
    if (ip !== undefined) remote.set(session, ip);
    if (/ALLOCATE processed, success/.test(line)) allocated.set(session, (allocated.get(session) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [session, n] of allocated) {
    const ip = remote.get(session);
    if (ip !== undefined) out.set(ip, (out.get(ip) ?? 0) + n);
  }
  return out;
}

async function dnsStatus(): Promise<Record<string, any>> {
  return (await box.status()).dns as Record<string, any>;
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'lbdn-e2e-'));
  teardown.add(`remove ${workDir}`, () => rm(workDir, { recursive: true, force: true }));
  await mkdir(join(workDir, 'box'));
  lan = await steps.step('LAN (box, a, b)', () => createLan({ tag: 'lbdn', hosts: ['box', 'a', 'b'], teardown }));
  box = await steps.step('box in Jami DNS mode, with its coturn', () =>
    startBox({ host: lan.host('box'), teardown, dir: join(workDir, 'box'), flags: ['--jami-dns', '--dns-port', '53'] }),
  );
  const dns = await dnsStatus();
  assert.equal(dns.mode, 'jami-dns');
});

after(async () => {
  const failures = await teardown.run();
  process.stderr.write(`${steps.summary()}\n`);
  assert.deepEqual(failures, []);
});

describe("unmodified Jami, the box as the LAN's DNS", () => {
  let a: JamiDevice;
  let b: JamiDevice;

  it('default accounts register through the box; a conversation request, a text and a swarm message arrive', { timeout: 900_000 }, async (t) => {
    a = await device('a');
    b = await device('b');
    const created = steps.elapsedMs();
    const [accA, accB] = await steps.step('create two default accounts', () =>
      Promise.all([a.addAccount(defaultAccount('zero-a')), b.addAccount(defaultAccount('zero-b'))]),
    );
    const details = await a.accountDetails(accA);
    // The accounts really carry Jami's public defaults: only DNS sends them to the box.
    assert.equal(details['Account.hostname'], 'bootstrap.jami.net');
    assert.equal(details['TURN.server'], 'turn.jami.net');
    assert.match(details['RingNS.uri'] ?? '', /^(https:\/\/ns\.jami\.net|)$/);
    t.diagnostic(
      `defaults: proxyEnabled=${details['Account.proxyEnabled']} proxyServer=${details['Account.proxyServer']} ` +
        `proxyList=${details['Account.dhtProxyListUrl']} peerDiscovery=${details['Account.peerDiscovery']} TURN=${details['TURN.enable']}`,
    );
    // Key generation (RSA, archive encrypted with the password) is most of the time to REGISTERED.
    const [uriA, uriB] = await steps.step('Jami IDs generated', () => Promise.all([a.accountUri(accA), b.accountUri(accB)]));
    const keys = steps.elapsedMs();
    await steps.step('both REGISTERED on the DHT', () => Promise.all([a.waitRegistered(accA, 180_000), b.waitRegistered(accB, 180_000)]));
    const registered = steps.elapsedMs();
    // Through the box: its DHT node holds both devices and their values.
    await steps.step("the box's DHT holds both devices", () =>
      waitFor(
        '2 good nodes in the box',
        async () => {
          const dht = (await box.status()).dht as unknown as { nodes: { good: number }; storage: { values: number } };
          return dht.nodes.good >= 2 && dht.storage.values >= 2 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      ),
    );

    const sinceA = a.mark();
    const sinceB = b.mark();
    await a.sendConversationRequest(accA, uriB);
    const conv = await steps.step('conversation request arrives', () => b.waitConversationRequest(accB, uriA, { since: sinceB, timeoutMs: 180_000 }));
    const sinceReady = b.mark();
    await b.acceptConversationRequest(accB, conv);
    await steps.step('conversation ready on b', () => b.waitConversationReady(accB, conv, { since: sinceReady, timeoutMs: 180_000 }));

    const sinceText = b.mark();
    await a.sendTextMessage(accA, uriB, 'hello over the box');
    await steps.step('text message arrives', () => b.waitTextMessage(accB, uriA, 'hello over the box', { since: sinceText, timeoutMs: 180_000 }));
    const delivered = steps.elapsedMs();

    // a (the conversation's creator) must see b join before b is a member it syncs with.
    await steps.step('a sees b join the conversation', () =>
      a.waitSignal('conversationMemberEvent', (body) => body[0] === accA && body[1] === conv && body[2] === uriB && body[3] === 1, {
        since: sinceA,
        timeoutMs: 180_000,
        what: 'b joining, on a',
      }),
    );
    const sinceSwarm = b.mark();
    await a.sendSwarmMessage(accA, conv, 'swarm over the box');
    await steps.step('swarm message arrives', () => b.waitSwarmMessage(accB, conv, 'swarm over the box', { since: sinceSwarm, timeoutMs: 180_000 }));
    const swarm = steps.elapsedMs();
    steps.note(
      `from default accounts' creation: keys ${((keys - created) / 1000).toFixed(1)} s, registered ${((registered - created) / 1000).toFixed(1)} s, ` +
        `first message delivered ${((delivered - created) / 1000).toFixed(1)} s, swarm message ${((swarm - created) / 1000).toFixed(1)} s`,
    );
    t.diagnostic(`time from creation of the default accounts to a message delivered: ${((delivered - created) / 1000).toFixed(1)} s`);

    // They found the DHT through the box's DNS: both devices asked for bootstrap.jami.net.
    const dns = await dnsStatus();
    assert.ok(dns.devicesLastHour['bootstrap.jami.net'] >= 2, JSON.stringify(dns.devicesLastHour));
    t.diagnostic(`DNS devices in the last hour: ${JSON.stringify(dns.devicesLastHour)}; counters ${JSON.stringify(dns.counters)}`);
  });

  it("the box's coturn counts TURN allocations from the default accounts", { timeout: 300_000 }, async (t) => {
    const allocations = await steps.step("TURN allocations from a and b in coturn's log", () =>
      waitFor(
        'successful allocations from both devices',
        async () => {
          const perDevice = allocationsByRemote(await box.coturn!.log());
          const fromA = perDevice.get(lan.host('a').ip) ?? 0;
          const fromB = perDevice.get(lan.host('b').ip) ?? 0;
          return fromA > 0 && fromB > 0 ? { fromA, fromB } : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 1000 },
      ),
    );
    t.diagnostic(`coturn allocations: ${JSON.stringify(allocations)}`);
    const dns = await dnsStatus();
    assert.ok(dns.devicesLastHour['turn.jami.net'] >= 2, JSON.stringify(dns.devicesLastHour));
  });

  it("an account with the DHT proxy on (Android's default) registers through the box's proxy and sends no DHT UDP", { timeout: 600_000 }, async (t) => {
    const c = await device('c');
    // Count every datagram c sends to UDP 4222, the DHT port of the only DHT node it knows.
    const host = lan.host('c');
    await host.run('nft', ['add', 'table', 'inet', 'lbdn']);
    await host.run('nft', ['add', 'chain', 'inet', 'lbdn', 'out', '{ type filter hook output priority 0; }']);
    await host.run('nft', ['add', 'rule', 'inet', 'lbdn', 'out', 'udp', 'dport', '4222', 'counter']);
    const dhtPackets = async () => Number(/counter packets (\d+)/.exec(await host.run('nft', ['list', 'table', 'inet', 'lbdn']))?.[1] ?? 'NaN');
    const acc = await c.addAccount(defaultAccount('zero-proxy', { 'Account.proxyEnabled': 'true' }));
    const details = await c.accountDetails(acc);
    assert.equal(details['Account.proxyServer'], 'dhtproxy.jami.net:[80-95]');
    assert.match(details['Account.dhtProxyListUrl'] ?? '', /config\.jami\.net/);
    await steps.step('proxy account: Jami ID', () => c.accountUri(acc));
    // jamid 13.7: the first registration of a new account starts while the proxy list is still
    // being fetched, so it joins the DHT directly; config.jami.net failing at once makes it pick
    // dhtproxy.jami.net:<80-95> for every later registration (next start, account re-enabled,
    // network change). Re-enabling the account is that next registration.
    await steps.step('proxy account: first registration', () => c.waitRegistered(acc, 180_000));
    await waitFor(
      "the proxy server chosen from Jami's fallback",
      async () => {
        const v = await c.volatileDetails(acc);
        return /^dhtproxy\.jami\.net:(8\d|9[0-5])$/.test(v['Account.proxyServer'] ?? '') ? v : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await c.call('setAccountActive', 'sb', [acc, false]);
    await waitFor('the account inactive', async () => ((await c.volatileDetails(acc))['Account.registrationStatus'] === 'UNREGISTERED' ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    // The first registration's DHT node shuts down in the background: wait until it is silent.
    let last = -1;
    let quietSince = Date.now();
    await waitFor(
      'the direct DHT node of the first registration to fall silent',
      async () => {
        const n = await dhtPackets();
        if (n !== last) {
          last = n;
          quietSince = Date.now();
        }
        return Date.now() - quietSince >= 5000 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    t.diagnostic(`DHT datagrams of the first (direct) registration: ${last}`);
    const before = (await box.status()).proxy as unknown as { requests: { put: number; listen: number } };
    // (Anonymous rule counters cannot be reset with Debian 12's nft: compare with this baseline.)
    const baseline = await dhtPackets();
    const again = steps.elapsedMs();
    await c.call('setAccountActive', 'sb', [acc, true]);
    await steps.step("proxy account REGISTERED through the box's proxy", () => c.waitRegistered(acc, 180_000));
    steps.note(`proxy account registered again ${((steps.elapsedMs() - again) / 1000).toFixed(1)} s after it was re-enabled`);
    // Its puts (device announcement) and listens reach the proxy; give them time, then count.
    const proxy = await steps.step('the proxy serves its puts and listens', () =>
      waitFor(
        'puts and listens from the proxy account',
        async () => {
          const p = (await box.status()).proxy as unknown as { requests: { total: number; put: number; listen: number } };
          return p.requests.put > before.requests.put && p.requests.listen > before.requests.listen ? p : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      ),
    );
    const dns = (await box.status()).dns as Record<string, any>;
    t.diagnostic(
      `proxy requests ${JSON.stringify(proxy.requests)}; proxy ports ${JSON.stringify(dns.proxyPorts)}; DNS devices ${JSON.stringify(dns.devicesLastHour)}`,
    );
    // config.jami.net failed at once, and dhtproxy.jami.net led to one of the fallback ports.
    assert.ok(dns.devicesLastHour['config.jami.net'] >= 1 && dns.devicesLastHour['dhtproxy.jami.net'] >= 1, JSON.stringify(dns.devicesLastHour));
    assert.ok(dns.proxyPorts.connections >= 1, 'connections on the ports 80-95');
    assert.equal((await dhtPackets()) - baseline, 0, 'no DHT datagram from the proxy account');
  });

  it('with the name server set to the box, an account registers and looks up a username', { timeout: 600_000 }, async () => {
    const acc = await a.addAccount(defaultAccount('zero-names', { 'RingNS.uri': box.nameServer }));
    const uri = await a.accountUri(acc);
    await steps.step('names account REGISTERED', () => a.waitRegistered(acc, 180_000));
    const name = `zero${Date.now().toString(36)}`;
    const status = await steps.step(`register the username ${name}`, () => a.registerName(acc, name, 60_000, 'zero-config test'));
    assert.equal(status, NameRegistration.SUCCESS);
    const found = await steps.step('look the username up', () => a.lookupName(acc, name, 60_000));
    assert.deepEqual([found.status, found.address], [NameLookup.FOUND, uri]);
  });
});

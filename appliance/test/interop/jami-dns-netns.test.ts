/**
 * Jami DNS mode end to end: the appliance (from sources) runs in a "box" network namespace with
 * two LANs, each a veth pair to a client namespace, and listens on UDP 53 there; the real `dig`
 * asks from the clients. A real dnsmasq on the box's loopback is the upstream. Covers each Jami
 * name with both record types and the subnet-dependent answer, addresses changing at run time,
 * forwarding, malformed and oversized datagrams, the status document and the default-route
 * warning, and that port 53 stays closed with the mode off. Needs root (`ip netns`).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dig } from '../../../packages/jami-dns/test/dig.js';
import { startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';

const run = promisify(execFile);
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const TAG = `lbdn${randomBytes(3).toString('hex')}`;
const BOX = `${TAG}b`;
const LANS = [1, 2].map((n) => ({
  n,
  client: `${TAG}c${n}`,
  boxIface: `${TAG}b${n}`,
  clientIface: `${TAG}c${n}`,
  box4: `10.77.${n}.1`,
  client4: `10.77.${n}.2`,
  box6: `fd77:${n}::1`,
  client6: `fd77:${n}::2`,
}));
const [LAN1, LAN2] = LANS as [(typeof LANS)[0], (typeof LANS)[0]];
const JAMI_NAMES = ['bootstrap.jami.net', 'turn.jami.net', 'dhtproxy.jami.net'];
const UPSTREAM_PORT = 5300;

const ipn = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);
const inNs = (ns: string, cmd: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: 10_000 });

before(async () => {
  for (const ns of [BOX, ...LANS.map((l) => l.client)]) {
    await run('ip', ['netns', 'add', ns]);
    cleanups.push(() => run('ip', ['netns', 'delete', ns]).catch(() => undefined));
    await ipn(ns, 'link', 'set', 'lo', 'up');
  }
  for (const l of LANS) {
    await run('ip', ['link', 'add', l.boxIface, 'netns', BOX, 'type', 'veth', 'peer', 'name', l.clientIface, 'netns', l.client]);
    for (const [ns, iface, v4, v6] of [
      [BOX, l.boxIface, l.box4, l.box6],
      [l.client, l.clientIface, l.client4, l.client6],
    ] as const) {
      await inNs(ns, 'sysctl', '-qw', `net.ipv6.conf.${iface}.accept_dad=0`);
      await ipn(ns, 'addr', 'add', `${v4}/24`, 'dev', iface);
      await ipn(ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', iface, 'nodad');
      await ipn(ns, 'link', 'set', iface, 'up');
    }
  }
  // The upstream resolver, on the box's loopback: knows example.lan and (to show ns.jami.net is
  // forwarded when an upstream exists) ns.jami.net; refuses everything else (no servers of its own).
  const dnsmasq = spawn(
    'ip',
    [
      'netns',
      'exec',
      BOX,
      'dnsmasq',
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--conf-file=/dev/null',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${UPSTREAM_PORT}`,
      '--user=root',
      '--pid-file=',
      '--address=/example.lan/10.9.9.9',
      '--address=/ns.jami.net/10.9.9.53',
    ],
    { stdio: 'ignore' },
  );
  cleanups.push(() => stopChild(dnsmasq));
});

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

async function startBox(extra: string[]): Promise<RunningAppliance> {
  const data = await tempDir('lanbox-dns-');
  cleanups.push(data.remove);
  const box = await startAppliance({
    dataDir: data.path,
    wrap: ['ip', 'netns', 'exec', BOX],
    baseArgs: {
      webPort: 8080,
      dhtPort: 4222,
      args: [
        '--data-dir',
        data.path,
        '--dht-port',
        '4222',
        '--web-port',
        '8080',
        '--proxy-port',
        '8081',
        '--no-discovery',
        '--turn',
        'turn://ring:ring@127.0.0.1:3478',
        ...extra,
      ],
    },
  });
  cleanups.push(() => box.kill());
  return box;
}

/** GET /api/status from inside the box's namespace. */
async function boxStatus(): Promise<Record<string, any>> {
  const script = "fetch('http://127.0.0.1:8080/api/status').then((r) => r.text()).then((t) => process.stdout.write(t))";
  const { stdout } = await inNs(BOX, process.execPath, '-e', script);
  return JSON.parse(stdout) as Record<string, any>;
}

/** Sends raw datagrams from a client namespace to the box's port 53. */
async function sendRaw(ns: string, to: string, hexes: string[]): Promise<void> {
  const script =
    "const s=require('node:dgram').createSocket('udp4');const l=JSON.parse(process.argv[1]);let n=0;" +
    `for(const h of l)s.send(Buffer.from(h,'hex'),53,'${to}',()=>{if(++n===l.length)s.close()});`;
  await inNs(ns, process.execPath, '-e', script, JSON.stringify(hexes));
}

describe('Jami DNS mode on, two LANs', () => {
  let box: RunningAppliance;
  before(async () => {
    box = await startBox(['--jami-dns', '--dns-port', '53', '--dns-upstream', `127.0.0.1:${UPSTREAM_PORT}`]);
  });
  after(async () => {
    await box?.stop();
  });

  it("each Jami name, A and AAAA: the box address on the asking client's LAN", async () => {
    for (const l of LANS) {
      for (const name of JAMI_NAMES) {
        const a = await dig(l.box4, 53, name, 'A', { ns: l.client });
        assert.deepEqual([a.status, a.records, a.flags.includes('aa')], ['NOERROR', [l.box4], true], `${name} A from LAN ${l.n}\n${a.raw}`);
        const aaaa = await dig(l.box4, 53, name, 'AAAA', { ns: l.client });
        assert.deepEqual([aaaa.status, aaaa.records], ['NOERROR', [l.box6]], `${name} AAAA from LAN ${l.n}\n${aaaa.raw}`);
      }
    }
  });

  it('asked over IPv6, the same answers', async () => {
    const a = await dig(LAN2.box6, 53, 'turn.jami.net', 'A', { ns: LAN2.client });
    assert.deepEqual([a.status, a.records], ['NOERROR', [LAN2.box4]]);
    const aaaa = await dig(LAN2.box6, 53, 'turn.jami.net', 'AAAA', { ns: LAN2.client });
    assert.deepEqual([aaaa.status, aaaa.records], ['NOERROR', [LAN2.box6]]);
  });

  it('config.jami.net is NXDOMAIN; ns.jami.net and other names go to the upstream', async () => {
    for (const type of ['A', 'AAAA']) {
      assert.equal((await dig(LAN1.box4, 53, 'config.jami.net', type, { ns: LAN1.client })).status, 'NXDOMAIN');
    }
    assert.deepEqual((await dig(LAN1.box4, 53, 'ns.jami.net', 'A', { ns: LAN1.client })).records, ['10.9.9.53']);
    assert.deepEqual((await dig(LAN1.box4, 53, 'host.example.lan', 'A', { ns: LAN1.client })).records, ['10.9.9.9']);
    // dnsmasq has no servers of its own and refuses the rest; the box relays that at once.
    assert.equal((await dig(LAN1.box4, 53, 'example.org', 'A', { ns: LAN1.client })).status, 'REFUSED');
  });

  it('follows addresses as they change', async () => {
    // Deleted first: deleting a subnet's primary address would take its secondaries with it.
    await ipn(BOX, 'addr', 'del', `${LAN2.box4}/24`, 'dev', LAN2.boxIface);
    await ipn(BOX, 'addr', 'add', '10.77.2.9/24', 'dev', LAN2.boxIface);
    try {
      await waitFor(
        'the new address in the answer',
        async () => {
          const a = await dig('10.77.2.9', 53, 'bootstrap.jami.net', 'A', { ns: LAN2.client });
          return a.records.join() === '10.77.2.9' ? true : undefined;
        },
        20_000,
      );
    } finally {
      await ipn(BOX, 'addr', 'del', '10.77.2.9/24', 'dev', LAN2.boxIface).catch(() => undefined);
      await ipn(BOX, 'addr', 'add', `${LAN2.box4}/24`, 'dev', LAN2.boxIface).catch(() => undefined);
    }
    const back = await waitFor(
      'the first address back in the answer',
      async () => {
        const a = await dig(LAN2.box4, 53, 'bootstrap.jami.net', 'A', { ns: LAN2.client });
        return a.records.join() === LAN2.box4 ? a : undefined;
      },
      20_000,
    );
    assert.equal(back.status, 'NOERROR');
  });

  it('the DHT proxy answers on every TCP port 80-95, and on the web port for Host dhtproxy.jami.net', async () => {
    const st = await boxStatus();
    assert.deepEqual(
      [...st.dns.proxyPorts.listening].sort((x: number, y: number) => x - y),
      Array.from({ length: 16 }, (_, i) => 80 + i),
    );
    assert.deepEqual(st.dns.proxyPorts.failed, {});
    // From a client, as Jami does after resolving dhtproxy.jami.net: GET /node/info on a random port of the range.
    // node:http (fetch does not let a request name its own Host header).
    const script =
      'const [u,h]=process.argv.slice(1);const url=new URL(u);' +
      "require('node:http').get({host:url.hostname,port:url.port,path:url.pathname,headers:h?{host:h}:{}},(r)=>{let b='';r.on('data',(d)=>b+=d);r.on('end',()=>process.stdout.write(r.statusCode+' '+b))}).on('error',(e)=>process.stdout.write('error '+e.message))";
    const get = (url: string, host?: string) => inNs(LAN1.client, process.execPath, '-e', script, url, host ?? '');
    for (const port of [80, 87, 95]) {
      const { stdout } = await get(`http://${LAN1.box4}:${port}/node/info`);
      assert.match(stdout, /^200 .*"node_id"/, `port ${port}`);
    }
    // The web port serves the status page, except for requests naming the proxy's host.
    assert.match((await get(`http://${LAN1.box4}:8080/node/info`, 'dhtproxy.jami.net:8080')).stdout, /^200 .*"node_id"/);
    assert.match((await get(`http://${LAN1.box4}:8080/node/info`)).stdout, /^404 /);
    assert.ok((await boxStatus()).dns.proxyPorts.connections >= 3);
  });

  it('malformed and oversized datagrams neither crash nor stall it', async () => {
    const junk = ['', '0000', 'ff'.repeat(60), '41'.repeat(1400), '123401000001000000000000c00c00010001', '1234010000020000000000000000010001'];
    await sendRaw(LAN1.client, LAN1.box4, junk);
    const a = await dig(LAN1.box4, 53, 'bootstrap.jami.net', 'A', { ns: LAN1.client });
    assert.deepEqual(a.records, [LAN1.box4]);
    const st = await boxStatus();
    assert.ok(st.dns.counters.formerr >= 3, JSON.stringify(st.dns.counters));
    assert.ok(st.dns.counters.tooLarge >= 1);
    assert.ok(box.proc.exitCode === null);
  });

  it('/api/status: mode, devices per name in the last hour, counters; the default-route warning', async () => {
    let st = await boxStatus();
    assert.equal(st.dns.mode, 'jami-dns');
    assert.equal(st.dns.port, 53);
    assert.equal(st.dns.upstream, `127.0.0.1:${UPSTREAM_PORT}`);
    // bootstrap.jami.net was asked from 10.77.1.2 and 10.77.2.2; turn.jami.net also over IPv6.
    assert.equal(st.dns.devicesLastHour['bootstrap.jami.net'], 2);
    assert.equal(st.dns.devicesLastHour['turn.jami.net'], 3);
    assert.equal(st.dns.devicesLastHour['config.jami.net'], 1);
    assert.ok(st.dns.counters.answered >= 12 && st.dns.counters.relayed >= 3, JSON.stringify(st.dns.counters));
    assert.equal(st.dns.defaultRoute, false);
    assert.equal(st.dns.warning, null);
    assert.equal(st.dns.state, 'ok');
    await ipn(BOX, 'route', 'add', 'default', 'via', LAN1.client4);
    try {
      st = await waitFor(
        'the default-route warning',
        async () => {
          const s = await boxStatus();
          return s.dns.defaultRoute === true ? s : undefined;
        },
        30_000,
      );
      assert.equal(st.dns.state, 'degraded');
      assert.match(st.dns.warning, /default route/);
      assert.ok(
        box.logs.some((l) => l.level === 40 && /default route/.test(String(l.msg))),
        'a warning in the log',
      );
    } finally {
      await ipn(BOX, 'route', 'del', 'default').catch(() => undefined);
    }
  });
});

describe('Jami DNS mode off', () => {
  it('does not open port 53 and reports the mode as off', async () => {
    const box = await startBox([]);
    try {
      const { stdout } = await inNs(BOX, 'ss', '-Hlun');
      assert.doesNotMatch(stdout, /:53\s/);
      // Nor the proxy's fallback ports (the proxy itself runs on its own port).
      const tcp = (await inNs(BOX, 'ss', '-Hltn')).stdout;
      assert.doesNotMatch(tcp, /:(8\d|9[0-5])\s/);
      assert.match(tcp, /:8081\s/, 'the proxy listens on its own port');
      const st = await boxStatus();
      assert.deepEqual([st.dns.state, st.dns.mode], ['disabled', 'off']);
      const r = await dig(LAN1.box4, 53, 'bootstrap.jami.net', 'A', { ns: LAN1.client });
      assert.notEqual(r.status, 'NOERROR');
    } finally {
      await box.stop();
    }
  });
});

/**
 * Local peer discovery wired end to end, inside a network namespace this test creates (so the
 * multicast never leaves the machine): the appliance with discovery on and a real
 * `dhtnode -D` (OpenDHT's peer discovery, no bootstrap) find each other on a veth LAN, the DHT
 * gains the node, and a value the dhtnode puts lands in the appliance. Needs root (`ip netns`).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { exitOf, startAppliance, tempDir, waitFor, type RunningAppliance } from './helpers.js';

const run = promisify(execFile);
const NS = `lanbox-app-${randomBytes(3).toString('hex')}`;
const cleanups: Array<() => unknown> = [];

before(async () => {
  await run('ip', ['netns', 'add', NS]);
  cleanups.push(() => run('ip', ['netns', 'delete', NS]).catch(() => undefined));
  const ipn = (...args: string[]) => run('ip', ['-n', NS, ...args]);
  await ipn('link', 'set', 'lo', 'up');
  // A veth pair inside the namespace is the LAN: multicast-capable, not loopback.
  await ipn('link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1');
  await ipn('addr', 'add', '10.77.0.1/24', 'dev', 'lan0');
  await ipn('link', 'set', 'lan0', 'up');
  await ipn('link', 'set', 'lan1', 'up');
  await ipn('route', 'add', 'default', 'dev', 'lan0');
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** GET a URL from inside the namespace (the test process itself lives outside it). */
async function statusInNs(port: number): Promise<Record<string, any>> {
  const { stdout } = await run('ip', ['netns', 'exec', NS, process.execPath, '-e', `fetch('http://127.0.0.1:${port}/api/status').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
  return JSON.parse(stdout) as Record<string, any>;
}

test('a dhtnode with peer discovery and no bootstrap finds the appliance and stores a value in it', async () => {
  const data = await tempDir();
  cleanups.push(data.remove);
  // The namespace is ours alone, so the appliance runs on its real defaults, as `npm start` does
  // (web 8080, DHT 4222, discovery 8888); only the data dir and the TURN target differ.
  const [webPort, dhtPort] = [8080, 4222];
  const args = ['--data-dir', data.path, '--turn', 'turn://ring:ring@127.0.0.1:9'];
  const app: RunningAppliance = await startAppliance({ dataDir: data.path, baseArgs: { args, webPort, dhtPort }, wrap: ['ip', 'netns', 'exec', NS] });
  cleanups.push(app.kill);

  const before = await statusInNs(webPort);
  assert.equal(before.discovery.state, 'ok', before.discovery.summary);
  assert.ok(before.discovery.ipv4.interfaces.includes('lan0'));
  assert.deepEqual(before.clients.bootstrap[0], `10.77.0.1:${dhtPort}`, 'the LAN address is what clients are told to type');

  const dhtnode = spawn('ip', ['netns', 'exec', NS, 'dhtnode', '-D', '-p', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => { if (dhtnode.exitCode === null) dhtnode.kill('SIGKILL'); });
  let out = '';
  dhtnode.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const id = await waitFor('dhtnode to start', () => /OpenDHT node ([0-9a-f]{40})/.exec(out)?.[1]);

  const seen = await waitFor('the appliance to hear dhtnode on the LAN and add it to the DHT', async () => {
    const s = await statusInNs(webPort);
    const heard = (s.discovery.nodes as Array<{ id: string }>).some((n) => n.id === id);
    return heard && s.dht.nodes.good >= 1 ? s : undefined;
  }, 30000);
  assert.ok(seen.discovery.counters.nodesHandedToDht >= 1);

  dhtnode.stdin?.write('p lanbox-discovery found-by-multicast\n');
  await waitFor('the put', () => (/Put: success/.test(out) ? true : undefined), 20000);
  const stored = await waitFor('the value at the appliance', async () => {
    const s = await statusInNs(webPort);
    return s.dht.storage.values >= 1 ? s.dht.storage : undefined;
  });
  assert.equal(stored.keys, 1);
  dhtnode.stdin?.write('x\n');
  await exitOf(dhtnode);
  assert.equal(await app.stop(), 0);
});

/**
 * Local peer discovery end to end over real multicast between two hosts: two network namespaces
 * this test creates, joined by a veth pair (so no datagram leaves the machine). The bundled
 * appliance runs in host A on its real defaults; a real `dhtnode -D` (OpenDHT's peer discovery,
 * no bootstrap) in host B finds it and stores a value through it; then, with that dhtnode gone,
 * a fresh plain dhtnode bootstrapped at the box gets the value back, so the box served it.
 * Also reports how long a phone-like node on the LAN needs, from the box starting, to store
 * through it. Needs root (`ip netns`).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createVethPair } from '../veth-pair.js';
import { APPLIANCE_DIR, exitOf, startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';

const run = promisify(execFile);
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// Addresses no other test uses (198.19.0.0/16 is in RFC 2544's benchmark block; a ULA for
// IPv6), so a log line naming one points at this test. Namespace names are random per run.
const TAG = `lbxd${randomBytes(3).toString('hex')}`;
const A = { ns: `${TAG}a`, iface: `${TAG}x`, ipv4: '198.19.42.1', ipv6: 'fd6c:6278:4242::1' };
const B = { ns: `${TAG}b`, iface: `${TAG}y`, ipv4: '198.19.42.2', ipv6: 'fd6c:6278:4242::2' };

let bundle: string;

before(async () => {
  // The shipped artifact, built from the current sources (takes well under a second).
  const out = await tempDir('lanbox-bundle-');
  cleanups.push(out.remove);
  await run(process.execPath, [join(APPLIANCE_DIR, 'build.mjs'), '--outdir', out.path]);
  bundle = join(out.path, 'lanbox.mjs');

  await createVethPair(A, B, cleanups);
});

/**
 * GET /api/status from inside host A (the test process itself lives outside both hosts). Each call
 * starts a Node process: on a busy 2-core machine that alone can take several seconds, so the
 * bound is generous and callers poll.
 */
async function boxStatus(): Promise<Record<string, any>> {
  const script = "fetch('http://127.0.0.1:8080/api/status').then((r) => r.text()).then((t) => process.stdout.write(t))";
  const { stdout } = await run('ip', ['netns', 'exec', A.ns, process.execPath, '-e', script], { timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, any>;
}

interface Dhtnode {
  proc: ChildProcess;
  output: () => string;
  send: (line: string) => void;
  /** performance.now() when "Put: success" first arrived (stamped as the chunk came in, not when polled). */
  putSucceededAt: () => number | undefined;
}

/** A real dhtnode in host B, driven through its interactive prompt on stdin. */
function dhtnodeInB(args: string[]): Dhtnode {
  // `ip netns exec` execs the command, so the pid is dhtnode's own.
  const proc = spawn('ip', ['netns', 'exec', B.ns, 'dhtnode', '-p', '0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  let putAt: number | undefined;
  const onData = (d: string): void => {
    out += d;
    if (putAt === undefined && out.includes('Put: success')) putAt = performance.now();
  };
  proc.stdout?.setEncoding('utf8').on('data', onData);
  proc.stderr?.setEncoding('utf8').on('data', onData);
  return { proc, output: () => out, send: (line) => proc.stdin?.write(`${line}\n`), putSucceededAt: () => putAt };
}

test('a dhtnode -D with no bootstrap in another host finds the box over multicast, stores through it, and the box serves the value', async (t) => {
  const data = await tempDir();
  cleanups.push(data.remove);
  const key = `lanbox-discovery-${randomBytes(4).toString('hex')}`;
  const value = `found-by-multicast-${randomBytes(4).toString('hex')}`;

  // Our namespaces are ours alone, so the appliance runs on its real defaults, as `npm start`
  // does (web 8080, DHT 4222, discovery 8888); only the data dir and the TURN target (a dead
  // loopback port) differ.
  const started = performance.now();
  const app: RunningAppliance = await startAppliance({
    dataDir: data.path,
    baseArgs: { args: ['--data-dir', data.path, '--turn', 'turn://ring:ring@127.0.0.1:9'], webPort: 8080, dhtPort: 4222 },
    bundle,
    wrap: ['ip', 'netns', 'exec', A.ns],
  });
  cleanups.push(app.kill);
  const readyAt = performance.now();

  const ready = await boxStatus();
  assert.equal(ready.discovery.state, 'ok', ready.discovery.summary);
  assert.deepEqual(ready.discovery.ipv4.interfaces, [A.iface]);
  assert.equal(ready.clients.bootstrap[0], `${A.ipv4}:4222`, 'the LAN address is what clients are told to type');

  // Host B: OpenDHT's own peer discovery is the only way this node can learn of anyone.
  const putter = dhtnodeInB(['-D']);
  const id = await waitFor('dhtnode -D to start', () => /OpenDHT node ([0-9a-f]{40})/.exec(putter.output())?.[1], 20_000);
  const found = await waitFor(
    'the box to hear dhtnode -D from host B and have it as a good DHT node',
    async () => {
      const s = await boxStatus();
      const heard = (s.discovery.nodes as Array<{ id: string; address: string }>).some((n) => n.id === id && n.address === B.ipv4);
      return heard && s.dht.nodes.good >= 1 ? s : undefined;
    },
    20000,
  );
  const foundAt = performance.now();
  assert.ok(found.discovery.counters.nodesHandedToDht >= 1);

  putter.send(`p ${key} ${value}`);
  const putDone = await waitFor('Put: success from dhtnode -D', putter.putSucceededAt, 15000);
  const sec = (at: number): string => ((at - started) / 1000).toFixed(2);
  const took = /Put: success, took (\S+ \S+?)\./.exec(putter.output())?.[1] ?? '?';
  t.diagnostic(
    `box start to a dhtnode -D (no bootstrap) on the LAN storing through it: ${sec(putDone)} s (box ready at ${sec(readyAt)} s; dhtnode -D started then; the box had it as a good DHT node at ${sec(foundAt)} s; the put itself took ${took} by dhtnode's clock)`,
  );
  const stored = await waitFor(
    'the value in the box',
    async () => {
      const s = await boxStatus();
      return s.dht.storage.values >= 1 ? s.dht.storage : undefined;
    },
    20_000,
  );
  assert.equal(stored.keys, 1);

  // The putter is gone for good (no goodbye), so only the box can still hold the value.
  putter.proc.kill('SIGKILL');
  await exitOf(putter.proc);

  const getter = dhtnodeInB(['-b', `${A.ipv4}:4222`]);
  await waitFor('plain dhtnode to start', () => (/running on port \d+/.test(getter.output()) ? true : undefined), 20_000);
  // dhtnode answers "not found" until it has bootstrapped, so ask again each second.
  const got = await waitFor(
    'the fresh dhtnode to get the value from the box',
    async () => {
      getter.send(`g ${key}`);
      await new Promise((r) => setTimeout(r, 1000));
      return /Value\[id:[0-9a-f]+ data\(text\/plain\):"([^"]*)"\]/.exec(getter.output())?.[1];
    },
    15000,
  );
  assert.equal(got, value);
  getter.send('x');
  await exitOf(getter.proc);

  const end = await boxStatus();
  assert.ok(end.dht.counters.requestsIn.put >= 1, 'the put reached the box');
  assert.ok(end.dht.counters.requestsIn.get >= 1, 'so did the get it answered');
  assert.equal(await app.stop(), 0);
});

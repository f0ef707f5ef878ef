/**
 * The shipped artifact end to end: build.mjs bundles the appliance into a temp dir, the bundle
 * runs from another working directory (as the README's run command does, but on free loopback
 * ports and a temp data dir), and real OpenDHT nodes (`dhtnode`, Debian's OpenDHT 2.4) use it as
 * their bootstrap: one stores a value through it, a fresh one finds that value. Also measures the
 * appliance's idle memory.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { APPLIANCE_DIR, exitOf, getJson, loopbackArgs, spawnAppliance, startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';

const run = promisify(execFile);
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

let bundle: string;
let cwd: string;

before(async () => {
  const out = await tempDir('lanbox-bundle-');
  cleanups.push(out.remove);
  await run(process.execPath, [join(APPLIANCE_DIR, 'build.mjs'), '--outdir', out.path]);
  bundle = join(out.path, 'lanbox.mjs');
  cwd = (await tempDir('lanbox-cwd-')).path;
  cleanups.push(() => run('rm', ['-rf', cwd]));
});

test('the build is one ESM file with classic-level and its dependencies beside it, Linux prebuilds only', async () => {
  assert.ok(existsSync(bundle));
  const modules = join(bundle, '..', 'node_modules');
  for (const dep of ['classic-level', 'abstract-level', 'module-error', 'node-gyp-build']) assert.ok(existsSync(join(modules, dep, 'package.json')), dep);
  assert.ok(existsSync(join(modules, 'classic-level/prebuilds/linux-x64')));
  assert.ok(existsSync(join(modules, 'classic-level/prebuilds/linux-arm64')));
  assert.ok(!existsSync(join(modules, 'classic-level/prebuilds/win32-x64')));
  assert.ok(!existsSync(join(modules, 'classic-level/deps')), 'LevelDB sources are not shipped');
  assert.ok(!existsSync(join(modules, 'pino')), 'pure-JS dependencies are inside the bundle');
});

test('the bundle prints --help and rejects bad flags with exit 2, from any directory', async () => {
  const help = spawnAppliance(['--help'], { bundle, cwd });
  let out = '';
  help.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  assert.equal(await exitOf(help), 0);
  assert.match(out, /--turn turn:\/\/USER:PASSWORD@HOST:PORT/);
  const version = spawnAppliance(['--version'], { bundle, cwd });
  let v = '';
  version.stdout?.setEncoding('utf8').on('data', (d: string) => {
    v += d;
  });
  assert.equal(await exitOf(version), 0);
  assert.match(v, /^lanbox \d+\.\d+\.\d+\n$/);
  assert.equal(await exitOf(spawnAppliance(['--web-port', 'eighty'], { bundle, cwd })), 2);
});

test('--selftest: the bundle starts its services on loopback in a temp dir, checks itself and exits 0', async () => {
  const proc = spawnAppliance(['--selftest'], { bundle, cwd });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  assert.equal(await exitOf(proc), 0, out);
  const result = JSON.parse(out) as { selftest: string; nodeId: string; states: Record<string, string> };
  assert.equal(result.selftest, 'ok');
  assert.match(result.nodeId, /^[0-9a-f]{40}$/);
  assert.deepEqual(result.states, { dht: 'ok', nameserver: 'ok', push: 'ok', proxy: 'ok' });
});

/** A real dhtnode driven through its interactive prompt on stdin. */
function startDhtnode(bootstrapPort: number): {
  proc: ChildProcess;
  output: () => string;
  send: (line: string) => void;
  expect: (re: RegExp, what: string) => Promise<string>;
} {
  const proc = spawn('dhtnode', ['-p', '0', '-b', `127.0.0.1:${bootstrapPort}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  return {
    proc,
    output: () => out,
    send: (line) => proc.stdin?.write(`${line}\n`),
    expect: (re, what) => waitFor(what, () => re.exec(out)?.[0], 20000),
  };
}

test('a real dhtnode joins the bundled appliance and stores a value; a fresh one gets it back', async () => {
  const data = await tempDir();
  cleanups.push(data.remove);
  const app = await startAppliance({ dataDir: data.path, bundle, cwd });
  cleanups.push(app.kill);

  const writer = startDhtnode(app.dhtPort);
  await writer.expect(/running on port \d+/, 'dhtnode A to start');
  // The appliance learns the node from its bootstrap ping.
  await waitFor('dhtnode A in the routing table', async () => {
    const dht = (await getJson(`${app.base}/api/status`)).body.dht as Record<string, any>;
    return dht.nodes.ipv4.good + dht.nodes.ipv4.dubious >= 1 ? true : undefined;
  });
  writer.send('p lanbox-e2e hello-from-dhtnode');
  await writer.expect(/Put: success/, 'the put to succeed');
  const stored = await waitFor('the value in the appliance storage', async () => {
    const dht = (await getJson(`${app.base}/api/status`)).body.dht as Record<string, any>;
    return dht.storage.values >= 1 ? dht.storage : undefined;
  });
  assert.equal(stored.keys, 1);
  writer.send('x');
  await exitOf(writer.proc);

  const reader = startDhtnode(app.dhtPort);
  await reader.expect(/running on port \d+/, 'dhtnode B to start');
  // dhtnode answers "not found" while it has not bootstrapped yet, so ask until it finds it.
  const found = await waitFor(
    'dhtnode B to find the value',
    async () => {
      reader.send('g lanbox-e2e');
      await new Promise((r) => setTimeout(r, 1000));
      return /data\(text\/plain\):"hello-from-dhtnode"/.exec(reader.output())?.[0];
    },
    20000,
  );
  assert.ok(found);
  reader.send('x');
  await exitOf(reader.proc);

  const dht = (await getJson(`${app.base}/api/status`)).body.dht as Record<string, any>;
  assert.ok(dht.counters.requestsIn.put >= 1, 'the put reached the appliance');
  assert.ok(dht.counters.requestsIn.get >= 1, 'so did the get');
  assert.equal(await app.stop(), 0, app.stderr());
});

test('idle memory of the bundled appliance stays within the 80 MB budget', async (t) => {
  // Its own appliance: this test must not depend on what an earlier test left running.
  const data = await tempDir();
  cleanups.push(data.remove);
  const app: RunningAppliance = await startAppliance({ dataDir: data.path, bundle, cwd });
  cleanups.push(app.kill);
  // Let start-up garbage settle, then read the process's own RSS.
  await new Promise((r) => setTimeout(r, 2000));
  const rss = ((await getJson(`${app.base}/api/status`)).body.appliance as { rssBytes: number }).rssBytes;
  t.diagnostic(`idle RSS ${(rss / 1048576).toFixed(1)} MiB`);
  assert.ok(rss <= 80 * 1024 * 1024, `RSS ${(rss / 1048576).toFixed(1)} MiB`);
  assert.equal(await app.stop(), 0, app.stderr());
});

test('the minified bundle logs an error with its class name as type: a second appliance on the same data dir fails with StorageLockedError', async () => {
  const data = await tempDir();
  cleanups.push(data.remove);
  const first = await startAppliance({ dataDir: data.path, bundle, cwd });
  cleanups.push(first.kill);
  const second = spawnAppliance((await loopbackArgs(data.path)).args, { bundle, cwd });
  cleanups.push(() => {
    if (second.exitCode === null && second.signalCode === null) second.kill('SIGKILL');
  });
  let out = '';
  second.stdout?.setEncoding('utf8').on('data', (d: string) => {
    if (out.length < 1_000_000) out += d;
  });
  assert.equal(await exitOf(second), 1);
  const fatal = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; err?: { type?: string } })
    .find((l) => l.msg === 'start failed');
  assert.equal(fatal?.err?.type, 'StorageLockedError', out);
  assert.equal(await first.stop(), 0, first.stderr());
});

test('the bundle turns --optimize-for-size off once the young generation is small, and it stays small', async (t) => {
  // Phase 1 allocates under the bundle's --optimize-for-size (memory-reducing full GCs shrink the
  // young generation); 1.5 s later, after the bundle's check has turned the flag off, phase 2
  // allocates as much again: its full GCs are ordinary ones and the young generation must not grow.
  const { stdout, stderr } = await run(process.execPath, ['--trace-gc', '--import', TWO_PHASE_PROBE, bundle, '--version'], {
    cwd,
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const fullGcs = [...stdout.matchAll(/Mark-Compact( \(reduce\))? /g)].map((m) => m[1] !== undefined);
  const m = /new_space (\d+) 800000/.exec(stderr);
  assert.ok(m, stderr);
  t.diagnostic(`full GCs (true = memory-reducing): ${fullGcs.join(' ')}; new space ${m[1]} B at the end`);
  assert.ok(fullGcs.includes(true), 'phase 1 ran under --optimize-for-size');
  assert.equal(fullGcs.at(-1), false, 'after the switch, full GCs are ordinary ones');
  assert.ok(Number(m[1]) <= 2 * 1024 * 1024, `new space ${m[1]} B`);
});

/** Two allocation phases 1.5 s apart (see the test above), then V8's new-space size. */
const TWO_PHASE_PROBE = `data:text/javascript,${encodeURIComponent(`
import v8 from 'node:v8';
const keep = [];
const fill = () => { for (let i = 0; i < 400000; i++) keep.push({ i, b: new Uint8Array(64) }); };
setTimeout(() => {
  fill();
  setTimeout(() => {
    fill();
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stderr.write('new_space ' + ns.space_size + ' ' + keep.length + '\\n');
  }, 1500);
}, 300);
`)}`;

/** Allocates objects that survive young-generation GCs (as stored DHT values do), then prints V8's new-space size. */
const YOUNG_PROBE = `data:text/javascript,${encodeURIComponent(`
import v8 from 'node:v8';
setTimeout(() => {
  const keep = [];
  for (let i = 0; i < 400000; i++) keep.push({ i, b: new Uint8Array(64) });
  const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stderr.write('new_space ' + ns.space_size + ' ' + keep.length + '\\n');
}, 300);
`)}`;

async function youngGenerationBytes(nodeFlags: string[]): Promise<number> {
  const { stderr } = await run(process.execPath, [...nodeFlags, '--import', YOUNG_PROBE, bundle, '--version'], { cwd, timeout: 30_000 });
  const m = /new_space (\d+) 400000/.exec(stderr);
  assert.ok(m, stderr);
  return Number(m[1]);
}

test('started as the docs say (no Node flags), the bundle keeps V8 young generation at 2 MiB under allocation; an operator flag still wins', async (t) => {
  const asDocumented = await youngGenerationBytes([]);
  // Both settings the bundle applies are overridden here (--optimize-for-size also slows new-space growth).
  const operatorChoice = await youngGenerationBytes(['--max-semi-space-size=8', '--no-optimize-for-size']);
  t.diagnostic(`new space: ${asDocumented} B as documented, ${operatorChoice} B with --max-semi-space-size=8 --no-optimize-for-size`);
  assert.ok(asDocumented <= 2 * 1024 * 1024, `new space ${asDocumented} B`);
  assert.ok(operatorChoice > 4 * 1024 * 1024, `the probe grows an unrestricted new space (${operatorChoice} B)`);
});

/** On SIGUSR2, keeps 40 MB of new objects, as a burst of stored values would. */
const BURST_PROBE = `data:text/javascript,${encodeURIComponent(`
const keep = [];
process.on('SIGUSR2', () => { for (let i = 0; i < 400000; i++) keep.push({ i, b: 'v'.repeat(40) + i }); globalThis.lanboxProbeKept = keep; });
`)}`;

test('started as the docs say, the bundle gives heap back after a burst and counts it in /api/status', async (t) => {
  const data = await tempDir();
  cleanups.push(data.remove);
  // NODE_OPTIONS only carries the test's probe: the release itself needs no Node flag.
  const app = await startAppliance({ dataDir: data.path, bundle, cwd, env: { ...process.env, NOTIFY_SOCKET: '', NODE_OPTIONS: `--import=${BURST_PROBE}` } });
  cleanups.push(app.kill);
  type Release = { counters: { releases: number; releasedBytes: number }; last: { beforeBytes: number; afterBytes: number } | null; available: boolean };
  const release = async () => (await getJson(`${app.base}/api/status`)).body.appliance as { heapRelease: Release };
  const before = (await release()).heapRelease;
  assert.equal(before.available, true);
  app.proc.kill('SIGUSR2');
  // Start-up may have had a release of its own; this one follows a heap of well over 30 MiB.
  const after = await waitFor(
    'a release after the burst',
    async () => {
      const r = (await release()).heapRelease;
      return r.counters.releases > before.counters.releases && r.last !== null && r.last.beforeBytes > 30 * 1024 * 1024 ? r : undefined;
    },
    30_000,
  );
  t.diagnostic(`heap release: ${JSON.stringify(after)}`);
  assert.ok(after.last !== null && after.last.afterBytes < after.last.beforeBytes, JSON.stringify(after));
  assert.equal(await app.stop(), 0, app.stderr());
});

/**
 * The DHCP server guard as shipped (dist/box/lanbox-dhcp.mjs) against a real dnsmasq, in two
 * network namespaces this test creates (a "box" and an "other server" on one veth link, no
 * default route, like an offline LAN):
 *  - while the other dnsmasq serves, the box refuses to serve and names it;
 *  - when it goes away, the box serves (proved by a second guard on the other side, which now
 *    sees the box's offers and refuses);
 *  - when another server appears again, the box stops serving.
 * Needs root (namespaces). Everything is removed afterwards, even on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IMAGES = resolve(import.meta.dirname, '../..');
const GUARD = join(IMAGES, 'dist/box/lanbox-dhcp.mjs');
// Prefixed with the branch tag (lbim); interface names stay under 15 characters.
const NS_BOX = `lbim-dgb-${process.pid}`;
const NS_OTHER = `lbim-dgo-${process.pid}`;
const IF_BOX = 'lbim-dg-box';
const IF_OTHER = 'lbim-dg-oth';

let work: string;
const procs: ChildProcess[] = [];

async function ns(name: string, ...args: string[]): Promise<void> {
  await run('ip', ['netns', 'exec', name, ...args]);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lbim-dhcp-'));
  await run(process.execPath, [join(IMAGES, 'build.mjs')]);
  await run('ip', ['netns', 'add', NS_BOX]);
  await run('ip', ['netns', 'add', NS_OTHER]);
  await run('ip', ['link', 'add', IF_BOX, 'netns', NS_BOX, 'type', 'veth', 'peer', 'name', IF_OTHER, 'netns', NS_OTHER]);
  await ns(NS_BOX, 'ip', 'addr', 'add', '10.77.0.1/24', 'dev', IF_BOX);
  await ns(NS_OTHER, 'ip', 'addr', 'add', '10.77.0.2/24', 'dev', IF_OTHER);
  for (const [n, i] of [
    [NS_BOX, IF_BOX],
    [NS_OTHER, IF_OTHER],
  ] as const) {
    await ns(n, 'ip', 'link', 'set', 'lo', 'up');
    await ns(n, 'ip', 'link', 'set', i, 'up');
  }
});

after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await run('ip', ['netns', 'del', NS_BOX]).catch(() => undefined);
  await run('ip', ['netns', 'del', NS_OTHER]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

/** A guard in `netns` with its own root dir (LANBOX_ROOT) and the given own address. */
async function startGuard(netns: string, name: string, address: string, first: string, last: string): Promise<string> {
  const root = join(work, name);
  await mkdir(join(root, 'run/lanbox'), { recursive: true });
  const plan = { enabled: true, address: { address, prefix: 24 }, first, last, netmask: '255.255.255.0', dns: false };
  await writeFile(join(root, 'run/lanbox/dhcp.json'), JSON.stringify(plan));
  const p = spawn('ip', ['netns', 'exec', netns, process.execPath, GUARD], {
    env: { ...process.env, LANBOX_ROOT: root, LANBOX_DHCP_INTERVAL_MS: '1500' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.push(p);
  return join(root, 'run/lanbox/dhcp-status.json');
}

function startOtherServer(): ChildProcess {
  const p = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS_OTHER,
      '/usr/sbin/dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--port=0',
      `--interface=${IF_OTHER}`,
      '--bind-interfaces',
      '--dhcp-range=10.77.0.200,10.77.0.250,255.255.255.0,1h',
      `--dhcp-leasefile=${join(work, 'other.leases')}`,
      '--pid-file=',
      '--log-facility=-',
    ],
    { stdio: 'ignore' },
  );
  procs.push(p);
  return p;
}

async function statusOf(file: string, want: (s: Record<string, any>) => boolean, what: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      last = JSON.parse(await readFile(file, 'utf8'));
      if (want(last as Record<string, any>)) return last as Record<string, any>;
    } catch {
      // not written yet, or being replaced
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
}

test('the box never serves while another DHCP server answers, serves when alone, stops when one appears', async () => {
  let other = startOtherServer();
  const boxStatus = await startGuard(NS_BOX, 'box', '10.77.0.1', '10.77.0.100', '10.77.0.150');
  const refused = await statusOf(boxStatus, (s) => s.mode === 'refused', 'the box to refuse');
  assert.deepEqual(refused.otherServers, ['10.77.0.2']);
  assert.equal(refused.serving, false);

  other.kill('SIGTERM');
  await new Promise((r) => other.once('exit', r));
  const serving = await statusOf(boxStatus, (s) => s.mode === 'serving', 'the box to serve once alone');
  assert.match(serving.reason, /serving 10\.77\.0\.100 to 10\.77\.0\.150 on lbim-dg-box/);

  // Seen from the other side: the box's dnsmasq answers a DISCOVER (a guard there refuses because of it).
  const otherStatus = await startGuard(NS_OTHER, 'other', '10.77.0.2', '10.77.0.200', '10.77.0.250');
  const seen = await statusOf(otherStatus, (s) => s.mode === 'refused', "the box's offers to be seen on the LAN");
  assert.deepEqual(seen.otherServers, ['10.77.0.1']);
  procs.at(-1)!.kill('SIGTERM');

  other = startOtherServer();
  const stopped = await statusOf(boxStatus, (s) => s.mode === 'refused', 'the box to stop serving');
  assert.match(stopped.reason, /^stopped serving: another DHCP server answers on lbim-dg-box \(10\.77\.0\.2\)/);
  assert.ok(stopped.otherServerSeen >= 2);
});

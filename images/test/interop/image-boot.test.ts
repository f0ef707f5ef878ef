/**
 * The amd64 image, built with the documented command and booted twice under qemu (software
 * emulation; no KVM), checked only from outside the VM through qemu's port forwards:
 *
 *  boot 1, with a settings file on the FAT partition (a test-only SSH key generated here, never in
 *  the shipped image; a static address; dhcp_server=on; one bad line): status page, every enabled
 *  service ok, a real dhtnode bootstraps from the box and stores a value, the name server answers,
 *  a TURN allocation from outside (UDP and TCP) plus the box's own TURN monitor ok, the settings
 *  error and the DHCP refusal (qemu's own DHCP server answers) in /api/status, the watchdog
 *  restarts a SIGSTOPped lanbox, clean poweroff;
 *  boot 2, the pristine image: defaults (DHCP client, SSH off, DHCP server off), another DHT node
 *  id, clean shutdown on an ACPI power-button press.
 *
 * Every wait is bounded. On failure the serial logs stay in images/artifacts/.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createFileStore, createTurnMonitor } from '@lanbox/turn-monitor';

const run = promisify(execFile);
const IMAGES = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(IMAGES, 'artifacts');
/** Boot to "every service ok" under TCG on a busy 2-core machine took 2-4 min; allow much more. */
const READY_TIMEOUT_MS = 12 * 60_000;
/** WatchdogSec=30s + TimeoutAbortSec (= TimeoutStopSec 20s) + RestartSec 5s, plus slack for TCG. */
const WATCHDOG_RESTART_TIMEOUT_MS = 180_000;

let work: string;
let image: string;
let failed = false;
const vms: Vm[] = [];

interface Vm {
  name: string;
  proc: ChildProcess;
  serialLog: string;
  monitor: string;
  ports: { ssh: number; web: number; dht: number; turn: number };
  exited: Promise<number | null>;
  /** What qemu printed on stderr (its first 4000 characters). */
  stderr: () => string;
}

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const p = s.address().port;
    s.close();
    return p;
  }
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, vm?: Vm): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    if (vm !== undefined && vm.proc.exitCode !== null) throw new Error(`${what}: qemu (${vm.name}) exited with ${vm.proc.exitCode}`);
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== null ? ` (last error: ${String(last)})` : ''}`);
}

async function getJson(url: string): Promise<Record<string, any>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, any>;
}

/** Copies the image, puts the settings file (if any) on its FAT partition, adds room to grow. */
async function diskFor(name: string, settings: string | null): Promise<string> {
  const disk = join(work, `${name}.img`);
  await run('cp', ['--sparse=always', image, disk]);
  if (settings !== null) {
    const file = join(work, `${name}-lanbox.txt`);
    await writeFile(file, settings);
    // The FAT partition starts at 4 MiB (build-image.sh).
    await run('mcopy', ['-o', '-i', `${disk}@@4M`, file, '::/lanbox.txt']);
  }
  await run('truncate', ['-s', '+256M', disk]);
  return disk;
}

/** A port free for both TCP and UDP (TURN is forwarded on both with one number). */
async function freeBothPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort('tcp');
    const s = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.bind(p, '127.0.0.1', () => r(true));
    });
    s.close();
    if (ok) return p;
  }
  throw new Error('no port free for both TCP and UDP');
}

/**
 * Host ports for qemu's forwards, all different: each is found by binding port 0 and letting it
 * go, so the kernel can hand the same number to a UDP pick and a later TCP pick (it did once in
 * CI: DHT and TURN both got one UDP port and qemu refused to start).
 */
async function forwardPorts(): Promise<Vm['ports']> {
  const taken = new Set<number>();
  const distinct = async (pick: () => Promise<number>): Promise<number> => {
    for (let i = 0; i < 50; i++) {
      const p = await pick();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
    throw new Error('no distinct free port found');
  };
  return {
    ssh: await distinct(() => freePort('tcp')),
    web: await distinct(() => freePort('tcp')),
    dht: await distinct(() => freePort('udp')),
    turn: await distinct(freeBothPort),
  };
}

/**
 * Resolves true once qemu's monitor greets a connection, which it does only from its main loop,
 * after every -nic forward is bound; false if qemu exits first. Bounded: after `timeoutMs` it
 * resolves true and leaves any later failure to the caller's own bounded waits.
 */
async function monitorGreets(vm: Vm, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (vm.proc.exitCode !== null || vm.proc.signalCode !== null) return false;
    const greeted = await new Promise<boolean>((resolvePromise) => {
      const c = createConnection(vm.monitor);
      const done = (ok: boolean) => {
        c.destroy();
        resolvePromise(ok);
      };
      c.setTimeout(2000, () => done(false));
      c.on('data', (d) => d.includes('(qemu)') && done(true));
      c.on('error', () => done(false));
    });
    if (greeted) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * restricted: qemu's user network lets the guest open nothing (only forwarded ports and replies).
 * Boot 1 needs the box to ping the host's dhtnode (through 10.0.2.2, the host's loopback), so it
 * runs unrestricted but with a static address and no gateway: nothing beyond 10.0.2.0/24.
 *
 * Another program may still take a picked port before qemu binds it; qemu then exits at once with
 * "Could not set up host forwarding rule", and the boot is tried again on new ports (3 tries).
 */
async function boot(name: string, disk: string, restricted: boolean): Promise<Vm> {
  for (let attempt = 1; ; attempt++) {
    const vm = startQemu(name, disk, restricted, await forwardPorts());
    const running = await monitorGreets(vm, 60_000);
    if (!running) await vm.exited; // its stderr is whole once its streams have closed
    if (running || attempt === 3 || !/Could not set up host forwarding rule/.test(vm.stderr())) {
      vms.push(vm);
      return vm;
    }
  }
}

function startQemu(name: string, disk: string, restricted: boolean, ports: Vm['ports']): Vm {
  const serialLog = join(work, `${name}-serial.log`);
  const monitor = join(work, `${name}-monitor.sock`);
  const fwd = [
    `hostfwd=tcp:127.0.0.1:${ports.ssh}-:22`,
    `hostfwd=tcp:127.0.0.1:${ports.web}-:80`,
    `hostfwd=udp:127.0.0.1:${ports.dht}-:4222`,
    `hostfwd=udp:127.0.0.1:${ports.turn}-:3478`,
    `hostfwd=tcp:127.0.0.1:${ports.turn}-:3478`,
  ].join(',');
  // Spawned directly (no wrapper), so killing proc kills qemu; every wait below is bounded.
  const proc = spawn(
    'qemu-system-x86_64',
    [
      // One vCPU: with two under multi-threaded TCG the guest kernel's live code patching (int3)
      // raced and panicked early in boot once in a few runs; the box needs no second CPU.
      '-M',
      'q35',
      '-accel',
      'tcg',
      '-smp',
      '1',
      '-m',
      '1024',
      '-nographic',
      '-nodefaults',
      '-no-reboot',
      '-serial',
      `file:${serialLog}`,
      '-monitor',
      `unix:${monitor},server,nowait`,
      '-kernel',
      `${image}.vmlinuz`,
      '-initrd',
      `${image}.initrd`,
      // panic=1: a guest kernel panic reboots, which -no-reboot turns into qemu exiting: fail fast.
      '-append',
      'root=LABEL=LANBOXROOT ro console=ttyS0 panic=1',
      '-drive',
      `file=${disk},format=raw,if=virtio`,
      '-nic',
      `user,restrict=${restricted ? 'on' : 'off'},model=virtio-net-pci,${fwd}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  // 'close', not 'exit': by then stderr has been read to its end.
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  exited.then((code) => {
    if (code !== 0 && stderr !== '') process.stderr.write(`qemu ${name}: ${stderr}\n`);
  });
  return { name, proc, serialLog, monitor, ports, exited, stderr: () => stderr };
}

async function ssh(vm: Vm, key: string, command: string): Promise<string> {
  const { stdout } = await run(
    'ssh',
    [
      '-i',
      key,
      '-p',
      String(vm.ports.ssh),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=20',
      '-o',
      'LogLevel=ERROR',
      'root@127.0.0.1',
      command,
    ],
    { timeout: 90_000 },
  );
  return stdout;
}

/** The box is ready: the web port answers and every enabled service says ok. */
async function waitReady(vm: Vm): Promise<Record<string, any>> {
  return waitFor(
    `${vm.name}: /api/status with every enabled service ok`,
    async () => {
      const st = await getJson(`http://127.0.0.1:${vm.ports.web}/api/status`);
      const services = ['dht', 'discovery', 'nameserver', 'proxy', 'turn'].map((k) => [k, st[k].state as string]);
      return st.appliance.ready === true && services.every(([, s]) => s === 'ok' || s === 'disabled') ? st : undefined;
    },
    READY_TIMEOUT_MS,
    vm,
  );
}

async function qemuMonitor(vm: Vm, command: string): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const c = createConnection(vm.monitor, () =>
      c.write(`${command}\n`, () =>
        setTimeout(() => {
          c.end();
          resolvePromise();
        }, 500),
      ),
    );
    c.on('error', reject);
  });
}

async function waitExit(vm: Vm, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${vm.name}: qemu did not exit within ${timeoutMs} ms`)), timeoutMs);
  });
  // The timer is cleared as soon as qemu exits, so nothing keeps the test process alive afterwards.
  return Promise.race([vm.exited, timeout]).finally(() => clearTimeout(timer));
}

let keyFile: string;
let firstNodeId: string;
let buildSeconds: number;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lbim-boot-'));
  const started = Date.now();
  // The README's command, without compression (qemu boots the raw image).
  await run(join(IMAGES, 'build.sh'), ['amd64', join(work, 'out'), '--no-compress'], { maxBuffer: 64 * 1024 * 1024, timeout: 40 * 60_000 });
  buildSeconds = Math.round((Date.now() - started) / 1000);
  image = join(work, 'out', 'lanbox-amd64.img');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lanbox-image-test', '-f', join(work, 'test-key')]);
  keyFile = join(work, 'test-key');
});

after(async () => {
  for (const vm of vms) if (vm.proc.exitCode === null && vm.proc.signalCode === null) vm.proc.kill('SIGKILL');
  if (failed) {
    await mkdir(ARTIFACTS, { recursive: true });
    for (const vm of vms) await copyFile(vm.serialLog, join(ARTIFACTS, `${vm.name}-serial.log`)).catch(() => undefined);
    process.stderr.write(`image boot test failed: serial logs kept in ${ARTIFACTS}\n`);
  }
  await rm(work, { recursive: true, force: true });
});

test('the image: build, size, manifest with pinned inputs, no per-box identity inside', async (t) => {
  t.diagnostic(`build (rootfs cached or not, see the log) took ${buildSeconds} s`);
  const manifest = await readFile(`${image}.manifest`, 'utf8');
  assert.match(manifest, /^debian_suite=trixie$/m);
  assert.match(manifest, /^debian_release_date=.+\d{4}/m);
  assert.match(manifest, /^nodejs=20\./m);
  assert.match(manifest, /^coturn=/m);
  assert.match(manifest, /^package_lock_sha256=[0-9a-f]{64}$/m);
  const sha = await readFile(`${image}.sha256`, 'utf8');
  assert.match(sha, /^[0-9a-f]{64} {2}lanbox-amd64\.img\n$/);
  const { stdout: size } = await run('stat', ['-c', '%s', image]);
  t.diagnostic(`raw image ${(Number(size) / 1048576).toFixed(0)} MiB`);
  // Root partition (at 68 MiB: 4 MiB + the 64 MiB FAT) read with debugfs, no mount: nothing that
  // must be unique per box is in the image, and root has no password.
  const part = join(work, 'root.part');
  await run('dd', [`if=${image}`, `of=${part}`, 'bs=1M', 'skip=68', 'conv=sparse', 'status=none']);
  const debugfs = async (cmd: string) => (await run('debugfs', ['-R', cmd, part])).stdout;
  assert.equal(await debugfs('cat /etc/machine-id'), '', 'empty machine-id: systemd makes one per box');
  assert.doesNotMatch(await debugfs('ls /etc/ssh'), /ssh_host_/, 'no SSH host keys');
  assert.doesNotMatch(await debugfs('ls /var/lib'), /\blanbox\b/, 'no DHT identity or name data');
  assert.match(await debugfs('cat /etc/shadow'), /^root:\*:/m, 'root locked, no password');
  assert.match(await debugfs('cat /usr/share/lanbox/manifest.txt'), /^git_commit=/m, 'the manifest is inside the image too');
  await rm(part);
});

test('boot 1 (settings file): ready, DHT with a real dhtnode, name server, TURN, settings error, DHCP refused, watchdog, poweroff', async (t) => {
  const pub = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
  const settings = [
    '# written by the image test',
    `ssh_key=${pub}`,
    // qemu's user network is 10.0.2.0/24 with its DHCP server on 10.0.2.2 (= the host's loopback).
    // No gateway: the box reaches nothing beyond that network, i.e. only the host's loopback.
    'address=10.0.2.15/24',
    'dhcp_server=on',
    'no_such_setting=1',
  ].join('\n');
  const vm = await boot('boot1', await diskFor('boot1', settings), false);
  try {
    const t0 = Date.now();
    const st = await waitReady(vm);
    t.diagnostic(`boot 1: ready (every enabled service ok) ${Math.round((Date.now() - t0) / 1000)} s after qemu started`);
    firstNodeId = st.dht.nodeId as string;
    assert.match(firstNodeId, /^[0-9a-f]{40}$/);
    assert.equal(st.appliance.hostname, 'lanbox');
    assert.equal(st.appliance.profile, 'box');

    // The status page itself.
    const page = await fetch(`http://127.0.0.1:${vm.ports.web}/`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);

    // The name server: an unknown name is a JSON 404 from the Jami name server protocol.
    const ns = await fetch(`http://127.0.0.1:${vm.ports.web}/name/nobody-registered-this`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(ns.status, 404);
    assert.match(ns.headers.get('content-type') ?? '', /json/);

    // A real dhtnode bootstraps from the box (through the UDP forward) and stores a value through it.
    const dhtnode = spawn('dhtnode', ['-p', '0', '-b', `127.0.0.1:${vm.ports.dht}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    dhtnode.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    try {
      await waitFor('dhtnode to start', async () => (/running on port \d+/.test(out) ? true : undefined), 30_000);
      await waitFor(
        "dhtnode in the box's routing table",
        async () => {
          const dht = (await getJson(`http://127.0.0.1:${vm.ports.web}/api/status`)).dht;
          return dht.nodes.ipv4.good + dht.nodes.ipv4.dubious >= 1 ? true : undefined;
        },
        120_000,
      );
      const stored = await waitFor(
        'a value stored on the box through dhtnode',
        async () => {
          if (!/Put: success/.test(out)) dhtnode.stdin?.write('p lanbox-image-test hello-from-the-host\n');
          await new Promise((r) => setTimeout(r, 3000));
          const dht = (await getJson(`http://127.0.0.1:${vm.ports.web}/api/status`)).dht;
          return /Put: success/.test(out) && dht.storage.values >= 1 ? dht.storage : undefined;
        },
        180_000,
      );
      assert.ok(stored.keys >= 1);
    } finally {
      dhtnode.kill('SIGKILL');
    }

    // TURN: the box's own monitor is ok (full Jami path inside the box), and an allocation from
    // outside works over UDP and TCP (permissions to our loopback peers are refused by design).
    const turnState = (await getJson(`http://127.0.0.1:${vm.ports.web}/api/status`)).turn;
    assert.equal(turnState.state, 'ok', JSON.stringify(turnState));
    const monitor = createTurnMonitor(
      { servers: [`turn://ring:ring@127.0.0.1:${vm.ports.turn}`], peerAddress: '127.0.0.1', intervalMs: 60_000 },
      { clock: { now: () => Date.now() }, store: createFileStore(join(work, 'turn-monitor.json')) },
    );
    await monitor.tick();
    await monitor.stop();
    const server = monitor.status().servers[0]!;
    assert.ok('allocate' in server.steps, `UDP allocate from outside: ${JSON.stringify(server)}`);
    assert.ok('tcp-allocate' in server.steps, `TCP allocate from outside: ${JSON.stringify(server)}`);

    // Settings file: the bad line is reported, the rest applied; DHCP refused (qemu's server answers).
    const image = await waitFor(
      "the DHCP guard's verdict",
      async () => {
        const b = (await getJson(`http://127.0.0.1:${vm.ports.web}/api/status`)).image;
        return b.dhcp !== null && b.dhcp.mode !== 'waiting' ? b : undefined;
      },
      180_000,
    );
    assert.equal(image.state, 'degraded');
    assert.deepEqual(image.settingsFile.errors, ['line 5: unknown setting "no_such_setting"']);
    assert.deepEqual(image.settingsFile.applied.sort(), ['address', 'dhcp_server', 'ssh_key']);
    assert.equal(image.dhcp.mode, 'refused', JSON.stringify(image.dhcp));
    assert.equal(image.dhcp.serving, false);
    assert.deepEqual(image.dhcp.otherServers, ['10.0.2.2']);
    assert.match(image.address, /^10\.0\.2\.15\/24 \(static\)$/);

    // First boot grew the root partition into the space added to the disk; SD-card care is in place.
    const grown = await ssh(vm, keyFile, 'cat /var/lib/lanbox-image/root-grown');
    const g = /(\d+) -> (\d+) bytes/.exec(grown);
    assert.ok(g !== null && Number(g[2]) > Number(g[1]) + 200 * 1048576, grown);
    const care = await ssh(
      vm,
      keyFile,
      'findmnt -n -o OPTIONS /; findmnt -n -o FSTYPE /tmp; test -d /var/log/journal && echo persistent-journal || echo volatile-journal; stat -c %U /var/lib/lanbox; systemctl is-active coturn lanbox avahi-daemon systemd-networkd',
    );
    assert.match(care, /noatime/);
    assert.match(care, /^tmpfs$/m);
    assert.match(care, /^volatile-journal$/m);
    assert.match(care, /^lanbox$/m, 'the state directory belongs to the lanbox system user');
    assert.doesNotMatch(care, /inactive|failed/);

    // mDNS: avahi publishes lanbox.local and the status page's service record.
    const avahi = await ssh(vm, keyFile, 'journalctl -u avahi-daemon -b --no-pager -o cat');
    assert.match(avahi, /Host name is lanbox\.local/, avahi);
    // avahi runs chrooted in /etc/avahi, so it names the file /services/….
    assert.match(avahi, /Service "lanbox status page on lanbox" \((\/etc\/avahi)?\/services\/lanbox-http\.service\) successfully established/, avahi);

    // The watchdog: a stopped event loop gets the process restarted.
    const before = await ssh(vm, keyFile, 'systemctl show -p MainPID -p NRestarts -p WatchdogUSec lanbox');
    assert.match(before, /WatchdogUSec=30s/);
    const pidBefore = /MainPID=(\d+)/.exec(before)![1];
    const restartsBefore = Number(/NRestarts=(\d+)/.exec(before)![1]);
    await ssh(vm, keyFile, 'systemctl kill --signal=SIGSTOP lanbox');
    const stopped = Date.now();
    const afterRestart = await waitFor(
      'the watchdog to restart lanbox',
      async () => {
        const now = await ssh(vm, keyFile, 'systemctl show -p MainPID -p NRestarts -p ActiveState lanbox');
        const restarts = Number(/NRestarts=(\d+)/.exec(now)![1]);
        return restarts > restartsBefore && /ActiveState=active/.test(now) && /MainPID=(\d+)/.exec(now)![1] !== pidBefore ? now : undefined;
      },
      WATCHDOG_RESTART_TIMEOUT_MS,
    );
    t.diagnostic(`watchdog restart seen ${Math.round((Date.now() - stopped) / 1000)} s after SIGSTOP`);
    const journal = await ssh(vm, keyFile, 'journalctl -u lanbox -b --no-pager -o cat | grep -i watchdog | head -n 3');
    assert.match(journal, /[Ww]atchdog timeout/, journal);
    assert.match(afterRestart, /ActiveState=active/);
    const again = await waitReady(vm);
    assert.equal(again.dht.nodeId, firstNodeId, 'the node id survives a restart (kept in the state directory)');

    // Clean shutdown.
    await ssh(vm, keyFile, 'systemctl poweroff').catch(() => undefined);
    assert.equal(await waitExit(vm, 180_000), 0);
    assert.match(await readFile(vm.serialLog, 'utf8'), /reboot: Power down/);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (vm.proc.exitCode === null && vm.proc.signalCode === null) vm.proc.kill('SIGKILL');
  }
});

test('boot 2 (no settings file): defaults, SSH off, DHCP server off, a different DHT node id, ACPI power button', async (t) => {
  const vm = await boot('boot2', await diskFor('boot2', null), true);
  try {
    const t0 = Date.now();
    const st = await waitReady(vm);
    t.diagnostic(`boot 2: ready ${Math.round((Date.now() - t0) / 1000)} s after qemu started`);
    assert.match(st.dht.nodeId, /^[0-9a-f]{40}$/);
    assert.notEqual(st.dht.nodeId, firstNodeId, 'two boxes from one image must not share a node id');
    assert.equal(st.image.state, 'ok', JSON.stringify(st.image));
    assert.equal(st.image.settingsFile.present, false);
    assert.equal(st.image.dhcp.mode, 'off');
    assert.match(st.image.ssh, /^off/);
    assert.match(st.image.address, /DHCP/);
    await assert.rejects(ssh(vm, keyFile, 'true'), 'no SSH without a key in the settings file');
    // ACPI power button (as a hypervisor's "shut down", or a Pi 5's button): a clean poweroff.
    await qemuMonitor(vm, 'system_powerdown');
    assert.equal(await waitExit(vm, 180_000), 0);
    assert.match(await readFile(vm.serialLog, 'utf8'), /reboot: Power down/);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (vm.proc.exitCode === null && vm.proc.signalCode === null) vm.proc.kill('SIGKILL');
  }
});

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '@lanbox/clock';
import { createSystemdNotifier } from '../src/systemd/notify.js';
import { startFakeNotifySocket, type FakeNotifySocket } from './fake-notify-socket.js';
import { tempDir, waitFor } from './helpers.js';

let sock: FakeNotifySocket;
let dir: { path: string; remove: () => Promise<void> };

before(async () => {
  dir = await tempDir();
  sock = await startFakeNotifySocket(dir.path);
});
after(async () => {
  sock.close();
  await dir.remove();
});

const warnings: object[] = [];
const logger = { warn: (o: object) => warnings.push(o), debug: () => {} };

test('ready, status and stopping send exactly these datagrams', async () => {
  sock.messages.length = 0;
  const n = createSystemdNotifier({ env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: undefined }, logger });
  assert.equal(n.enabled, true);
  assert.equal(n.watchdogMs, null);
  await n.ready('serving on :80\nsecond line');
  await n.status('3 good nodes');
  await n.stopping('stopping');
  await waitFor('three datagrams', () => (sock.messages.length >= 3 ? true : undefined));
  assert.deepEqual(sock.messages, ['READY=1\nSTATUS=serving on :80 second line', 'STATUS=3 good nodes', 'STOPPING=1\nSTATUS=stopping']);
  assert.deepEqual(warnings, []);
});

test('WATCHDOG=1 every WATCHDOG_USEC/2 after ready, none after stopping', async () => {
  sock.messages.length = 0;
  const clock = createManualClock(0);
  // Counts the watchdog's timer firings: each one starts a ping at once, so what the period lets
  // through is known when advance() returns, without waiting for datagrams that should not come.
  let fired = 0;
  const scheduler = {
    schedule: (ms: number, fn: () => void) =>
      clock.schedule(ms, () => {
        fired++;
        fn();
      }),
  };
  const n = createSystemdNotifier({
    env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid) },
    logger,
    scheduler,
  });
  assert.equal(n.watchdogMs, 400);
  await n.ready('up');
  const pings = () => sock.messages.filter((m) => m === 'WATCHDOG=1').length;
  // Each ping is one systemd-notify run; wait for those (bounded), never for the period itself.
  const settle = (want: number) => waitFor(`${want} watchdog pings`, () => (pings() >= want ? true : undefined), 10_000);
  clock.advance(199);
  assert.equal(clock.pending(), 1, 'one ping scheduled');
  assert.equal(fired, 0);
  clock.advance(1);
  assert.equal(fired, 1);
  await settle(1);
  clock.advance(200);
  await settle(2);
  clock.advance(199);
  assert.equal(fired, 2, 'nothing before the next period');
  await n.stopping('bye');
  assert.equal(clock.pending(), 0, 'STOPPING cancels the watchdog');
  clock.advance(10_000);
  assert.equal(fired, 2, 'no pings after STOPPING');
  await waitFor('STOPPING', () => (sock.messages.includes('STOPPING=1\nSTATUS=bye') ? true : undefined));
  assert.equal(pings(), 2, 'no pings after STOPPING');
  assert.equal(sock.messages[0], 'READY=1\nSTATUS=up');
});

test('a watchdog meant for another pid is not pinged', () => {
  const n = createSystemdNotifier({ env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid + 1) } });
  assert.equal(n.watchdogMs, null);
});

test('without NOTIFY_SOCKET nothing is spawned', async () => {
  const seen: object[] = [];
  const n = createSystemdNotifier({
    env: { WATCHDOG_USEC: '1000' },
    command: '/nonexistent/systemd-notify',
    logger: { warn: (o) => seen.push(o), debug: () => {} },
  });
  assert.equal(n.enabled, false);
  assert.equal(n.watchdogMs, null);
  await n.ready('x');
  await n.stopping('y');
  assert.deepEqual(seen, [], 'the missing command was never run');
});

test('a missing systemd-notify command is logged, not thrown', async () => {
  const seen: object[] = [];
  const n = createSystemdNotifier({
    env: { NOTIFY_SOCKET: sock.path },
    command: '/nonexistent/systemd-notify',
    logger: { warn: (o) => seen.push(o), debug: () => {} },
  });
  await n.ready('x');
  assert.equal(seen.length, 1);
});

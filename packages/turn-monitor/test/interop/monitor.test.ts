import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTurnMonitor, TurnMonitorConfigError, type TurnMonitorStatus } from '../../src/index.js';
import { startCoturn, type Coturn } from '../helpers/coturn.js';
import { createManualClock } from '@lanbox/clock';
import { MemoryStore } from '../helpers/memory-store.js';
import { loopbackSettings } from '../helpers/probe-deps.js';

/** The probe tests' loopback settings, as monitor options: the timeouts only bound a hang. */
const LOOPBACK = {
  requestTimeoutMs: loopbackSettings.timeoutMs,
  relayTimeoutMs: loopbackSettings.relayTimeoutMs,
  connectTimeoutMs: loopbackSettings.connectTimeoutMs,
  rtoMs: loopbackSettings.rtoMs,
  peerAddress: loopbackSettings.peerAddress,
};

function clockAt(start: number) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('createTurnMonitor: configuration', () => {
  it("defaults to the box's own coturn with Jami's credentials, pending until checked", () => {
    const m = createTurnMonitor({}, { clock: clockAt(0), store: new MemoryStore() });
    const s = m.status();
    assert.equal(s.state, 'pending');
    assert.equal(s.servers.length, 1);
    assert.equal(s.servers[0]?.url, 'turn://ring@127.0.0.1:3478');
    assert.equal(s.servers[0]?.lastCheckedAt, null);
  });

  it('a server list replaces the default; every bad entry is reported at once', () => {
    const m = createTurnMonitor({ servers: ['turn://u:p@10.0.0.1:3478', 'turn://u:p@10.0.0.2'] }, { clock: clockAt(0), store: new MemoryStore() });
    assert.deepEqual(
      m.status().servers.map((s) => s.url),
      ['turn://u@10.0.0.1:3478', 'turn://u@10.0.0.2:3478'],
    );
    assert.throws(
      () =>
        createTurnMonitor(
          { servers: ['bogus', 'turn://u:secret@h:1', 'stun://u:secret@h:1', 'turn://u:other@h:1'], intervalMs: 0 },
          { clock: clockAt(0), store: new MemoryStore() },
        ),
      (e: unknown) => {
        assert.ok(e instanceof TurnMonitorConfigError);
        assert.equal(e.problems.length, 4, e.problems.join('\n'));
        assert.match(e.message, /not a URL/);
        assert.match(e.message, /scheme must be turn:/);
        assert.match(e.message, /listed twice/);
        assert.match(e.message, /intervalMs/);
        assert.doesNotMatch(e.message, /secret/);
        return true;
      },
    );
  });
});

describe('createTurnMonitor against a real coturn', () => {
  const started: Coturn[] = [];
  after(async () => {
    for (const c of started) await c.stop();
  });

  it('ok, then down within one cycle when coturn stops, then ok again after a restart; summary saved and restored', async () => {
    let coturn = await startCoturn();
    started.push(coturn);
    const port = coturn.port;
    const clock = clockAt(1_000_000);
    const store = new MemoryStore();
    const monitor = createTurnMonitor({ servers: [`turn://ring:ring@127.0.0.1:${port}`], intervalMs: 60_000, ...LOOPBACK }, { clock, store });

    await monitor.tick(clock.t);
    let s: TurnMonitorStatus = monitor.status();
    assert.equal(s.state, 'ok', s.servers[0]?.lastError ?? '');
    const server = s.servers[0];
    assert.ok(server);
    assert.equal(server.url, `turn://ring@127.0.0.1:${port}`);
    assert.equal(server.lastError, null);
    assert.equal(server.realm, 'ring');
    assert.ok(server.steps['tcp-allocate'] !== undefined && server.steps.relay !== undefined);
    assert.equal(server.history.checks, 1);
    assert.equal(store.saves.length, 1);

    await coturn.stop();
    clock.t += 30_000;
    await monitor.tick(clock.t); // not due yet: nothing changes
    assert.equal(monitor.status().servers[0]?.history.checks, 1);

    clock.t += 30_000;
    await monitor.tick(clock.t);
    s = monitor.status();
    assert.equal(s.state, 'down');
    assert.match(s.servers[0]?.lastError ?? '', /^tcp-connect: /);
    assert.deepEqual(s.servers[0]?.steps, {});
    assert.equal(store.saves.at(-1)?.servers[`turn://ring@127.0.0.1:${port}`]?.state, 'down');

    coturn = await startCoturn({ port });
    started.push(coturn);
    clock.t += 60_000;
    await monitor.tick(clock.t);
    s = monitor.status();
    assert.equal(s.state, 'ok', s.servers[0]?.lastError ?? '');
    const h = s.servers[0]?.history;
    assert.deepEqual(
      { checks: h?.checks, ok: h?.ok, down: h?.down, lastOkAt: h?.lastOkAt, lastFailureAt: h?.lastFailureAt },
      { checks: 3, ok: 2, down: 1, lastOkAt: clock.t, lastFailureAt: clock.t - 60_000 },
    );
    assert.deepEqual(
      h?.recent.map((e) => e.state),
      ['ok', 'down', 'ok'],
    );
    assert.ok(s.counters.checks === 3 && s.counters.requestsSent > 0);
    await monitor.stop();

    // A new process finds what the last one knew.
    const next = createTurnMonitor({ servers: [`turn://ring:ring@127.0.0.1:${port}`], ...LOOPBACK }, { clock, store });
    const failedAt = clock.t - 60_000;
    clock.t += 1000;
    await next.tick(clock.t); // loads the store, then runs its first check (ok)
    const restored = next.status().servers[0];
    assert.equal(restored?.state, 'ok');
    assert.equal(restored?.history.checks, 1);
    assert.equal(restored?.history.lastFailureAt, failedAt, 'last failure time comes from the saved summary');
    await next.stop();
  });
});

describe('createTurnMonitor: scheduling', () => {
  const started: Coturn[] = [];
  after(async () => {
    for (const c of started) await c.stop();
  });

  it('start() checks every intervalMs from its own timer; stop() waits and saves; overlapping ticks are skipped', async () => {
    const coturn = await startCoturn();
    started.push(coturn);
    const store = new MemoryStore();
    // The monitor's schedule (and its probes' timeouts) run on a manual clock; only the probes'
    // network I/O is real.
    const time = createManualClock(0);
    const monitor = createTurnMonitor(
      { servers: [`turn://ring:ring@127.0.0.1:${coturn.port}`], intervalMs: 300, tickMs: 50, ...LOOPBACK },
      { clock: time, scheduler: time, store },
    );
    const checks = () => monitor.status().servers[0]?.history.checks ?? 0;
    // Waits for the running check's network round trips (bounded), never for the schedule.
    const settle = async (want: number) => {
      const until = Date.now() + 20_000;
      while (checks() < want && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.equal(checks(), want);
    };
    monitor.start();
    await settle(1);
    assert.equal(monitor.status().state, 'ok', monitor.status().servers[0]?.lastError ?? '');
    for (let t = 50; t < 300; t += 50) {
      time.advance(50);
      await new Promise((r) => setImmediate(r));
      assert.equal(checks(), 1, `no second check at ${t} ms`);
    }
    time.advance(50);
    await settle(2);
    time.advance(300);
    await settle(3);
    await monitor.stop();
    assert.equal(time.pending(), 0, 'stop() leaves no timer behind');
    assert.equal(store.saves.at(-1)?.servers[`turn://ring@127.0.0.1:${coturn.port}`]?.checks, 3);
    time.advance(10_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(checks(), 3, 'no checks after stop()');

    const manual = createTurnMonitor(
      { servers: [`turn://ring:ring@127.0.0.1:${coturn.port}`], intervalMs: 1000, ...LOOPBACK },
      { clock: { now: () => 0 }, store: new MemoryStore() },
    );
    const first = manual.tick(0);
    // Let the store load and the first check start, then tick again while it runs.
    await new Promise((r) => setImmediate(r));
    await manual.tick(1000);
    await first;
    assert.equal(manual.status().counters.overlapsSkipped, 1);
    assert.equal(manual.status().counters.checks, 1);
  });
});

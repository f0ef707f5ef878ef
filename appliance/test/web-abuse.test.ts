/**
 * Finding 2 of the reliability audit: the web port kept 128 connections in total with no cap per
 * address and closed idle ones only after up to ~30 s, so 130 idle connections from one address
 * (reconnecting when dropped) or 2,000 slowloris connections from many addresses made nearly
 * every request of a normal client fail. Plus the body findings: an unauthenticated client could
 * make the box read a 64 MiB import body, and chunked GET bodies of any size were read.
 * The appliance runs as a real process; floods come from many 127.0.0.0/8 source addresses.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startAppliance, tempDir, type RunningAppliance } from './helpers.js';
import { flood, loopbackAddresses, probe, until } from './flood.js';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function start(args: string[] = []): Promise<RunningAppliance> {
  const d = await tempDir();
  cleanups.push(d.remove);
  const app = await startAppliance({ dataDir: d.path, args });
  cleanups.push(app.kill);
  return app;
}

const PATHS = ['/api/status', '/', '/name/nobody'];
const NORMAL = '127.0.0.2';
/** Each request may take this long on a loaded 2-core machine; the box answers in milliseconds when it admits the connection. */
const PROBE_TIMEOUT_MS = 5000;

function failures(results: Array<{ ok: boolean; status: number; error?: string }>): string[] {
  // `/name/nobody` answers 404 by design: that is an answer, not a failure.
  return results.filter((r) => !(r.ok || r.status === 404)).map((r) => `${r.status} ${r.error ?? ''}`);
}

test('one address holding hundreds of reconnecting idle connections does not keep a normal client out', { timeout: 120_000 }, async () => {
  const app = await start();
  const f = flood({ port: app.webPort, from: ['127.0.0.9'], count: 300, kind: 'idle', reconnect: true });
  try {
    assert.ok(await until(() => f.opened() >= 300, 20_000), 'the flood did not open its connections');
    const results = await probe(app.webPort, PATHS, NORMAL, 15, 200, PROBE_TIMEOUT_MS);
    assert.deepEqual(failures(results), [], 'requests of the normal client failed');
    const web = ((await (await fetch(`${app.base}/api/status`)).json()) as { appliance: { web: Record<string, number> } }).appliance.web;
    assert.ok((web.refusedPerAddress ?? 0) > 0, 'the per-address cap was never hit');
  } finally {
    f.stop();
  }
  assert.equal(await app.stop(), 0);
});

test('thousands of slowloris connections from many addresses do not keep a normal client out', { timeout: 180_000 }, async () => {
  const app = await start();
  const f = flood({ port: app.webPort, from: loopbackAddresses(500), count: 2000, kind: 'slowloris', reconnect: true });
  try {
    assert.ok(await until(() => f.opened() >= 2000, 60_000), 'the flood did not open its connections');
    const results = await probe(app.webPort, PATHS, NORMAL, 15, 200, PROBE_TIMEOUT_MS);
    assert.deepEqual(failures(results), [], 'requests of the normal client failed');
  } finally {
    f.stop();
  }
  assert.equal(await app.stop(), 0);
});

/** Sends headers and then up to `max` body bytes as fast as the server takes them; resolves with the status line and the bytes sent. */
function bigUpload(port: number, head: string, max: number): Promise<{ status: number; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let sent = 0;
    let answer = '';
    const piece = Buffer.alloc(64 * 1024, 0x7b);
    const done = () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), sent });
    socket.on('connect', () => {
      socket.write(head);
      // A box that refuses on the headers answers at once; give the answer time to arrive before
      // the body, so a reset caused by the body cannot hide it.
      setTimeout(() => pump(), 300);
      const pump = (): void => {
        while (sent < max && !socket.destroyed && answer === '') {
          sent += piece.length;
          if (!socket.write(piece)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
    });
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

test('bodies: an unauthenticated import is refused before its body is read; chunked GET bodies are refused', { timeout: 60_000 }, async () => {
  for (const args of [[], ['--admin-token', 'test-token-0123456789']]) {
    const app = await start(args);
    const declared = 64 * 1024 * 1024;
    const up = await bigUpload(
      app.webPort,
      `POST /api/names/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
      8 * 1024 * 1024,
    );
    assert.ok(up.status === 413 || up.status === 401, `an unauthenticated 64 MiB import got ${up.status}`);
    assert.ok(up.sent < 8 * 1024 * 1024, `the box read ${up.sent} bytes before answering`);
    const chunked = await bigUpload(app.webPort, 'GET /api/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', 8 * 1024 * 1024);
    assert.equal(chunked.status, 413);
    assert.ok(chunked.sent < 8 * 1024 * 1024, `the box read ${chunked.sent} bytes of a GET body`);
    assert.equal(await app.stop(), 0);
  }
});

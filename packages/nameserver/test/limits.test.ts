import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { MemoryLevel } from 'memory-level';
import { createLevelRegistry, type Registry } from '../src/index.js';
import { httpRequest, makeAccounts, registrationBody, startHarness, type HttpAnswer } from './helpers.js';

/** A request from another loopback source address (Linux routes all of 127/8 to lo). */
function requestFrom(localAddress: string, port: number, path: string, body: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path, localAddress, headers: { 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Chunked upload (no Content-Length) of `size` bytes, in 1 kB pieces. */
function chunkedPost(port: number, path: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => undefined);
    const piece = Buffer.alloc(1024, 0x7b);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
    setTimeout(() => reject(new Error('no answer to an oversized chunked body')), 5000).unref();
  });
}

describe('abuse bounds', () => {
  it('refuses bodies over maxBodyBytes, declared or streamed, with 413 and nothing stored', async () => {
    const h = await startHarness({ maxBodyBytes: 2048 });
    try {
      const [account] = await makeAccounts(1);
      assert.ok(account);
      const padded = registrationBody(account, 'toolarge').replace('{', `{"pad":"${'x'.repeat(2100)}",`);
      const answer = await httpRequest(h.port, 'POST', '/name/toolarge', padded);
      assert.equal(answer.status, 413);
      assert.equal(await chunkedPost(h.port, '/name/toolarge', 64 * 1024), 413);
      assert.equal(h.server.status().rejected['body-too-large'], 2);
      assert.equal((await httpRequest(h.port, 'GET', '/name/toolarge')).status, 404);
      // The same registration within the bound goes through.
      assert.equal((await httpRequest(h.port, 'POST', '/name/toolarge', registrationBody(account, 'toolarge'))).status, 200);
    } finally {
      await h.stop();
    }
  });

  it('limits registration attempts per client IP per window (503 + Retry-After), then lets the client in again', async () => {
    const h = await startHarness({ registrationsPerWindow: 3, rateWindowMs: 60_000 });
    try {
      const accounts = await makeAccounts(5);
      const statuses: number[] = [];
      for (const [i, a] of accounts.entries()) statuses.push((await httpRequest(h.port, 'POST', `/name/rate-${i}`, registrationBody(a, `rate-${i}`))).status);
      assert.deepEqual(statuses, [200, 200, 200, 503, 503]);
      const limited = await httpRequest(h.port, 'POST', '/name/rate-4', registrationBody(accounts[4]!, 'rate-4'));
      assert.equal(limited.headers['retry-after'], '60');
      assert.deepEqual(JSON.parse(limited.body), { success: false, error: 'too many registrations, retry later' });
      // Another client is not affected.
      assert.equal((await requestFrom('127.0.0.2', h.port, '/name/rate-3', registrationBody(accounts[3]!, 'rate-3'))).status, 200);
      // Lookups are not rate limited.
      assert.equal((await httpRequest(h.port, 'GET', '/name/rate-0')).status, 200);
      h.clock.t += 60_000;
      assert.equal((await httpRequest(h.port, 'POST', '/name/rate-4', registrationBody(accounts[4]!, 'rate-4'))).status, 200);
      const status = h.server.status();
      assert.equal(status.rateLimited, 3);
      assert.equal(status.names, 5);
    } finally {
      await h.stop();
    }
  });

  it('bounds the rate limiter table without locking new clients out; tick() forgets ended windows', async () => {
    const h = await startHarness({ maxTrackedClients: 2, rateWindowMs: 1000 });
    try {
      const accounts = await makeAccounts(4);
      assert.equal((await requestFrom('127.0.0.11', h.port, '/name/ip-one', registrationBody(accounts[0]!, 'ip-one'))).status, 200);
      assert.equal((await requestFrom('127.0.0.12', h.port, '/name/ip-two', registrationBody(accounts[1]!, 'ip-two'))).status, 200);
      // The table is full: a new client still gets in (it used to get 503 until a window ended).
      assert.equal((await requestFrom('127.0.0.13', h.port, '/name/ip-three', registrationBody(accounts[2]!, 'ip-three'))).status, 200);
      assert.equal(h.server.status().trackedClients, 2);
      assert.equal(h.server.status().rateLimitEvictions, 1);
      h.clock.t += 1000;
      await h.server.tick();
      assert.equal(h.server.status().trackedClients, 0);
      assert.equal((await requestFrom('127.0.0.14', h.port, '/name/ip-four', registrationBody(accounts[3]!, 'ip-four'))).status, 200);
    } finally {
      await h.stop();
    }
  });

  it('stops at maxNames with 507 and reports degraded', async () => {
    const h = await startHarness({ maxNames: 2 });
    try {
      const accounts = await makeAccounts(3);
      const statuses = [];
      for (const [i, a] of accounts.entries()) statuses.push((await httpRequest(h.port, 'POST', `/name/full-${i}`, registrationBody(a, `full-${i}`))).status);
      assert.deepEqual(statuses, [200, 200, 507]);
      assert.equal(h.server.status().state, 'degraded');
      assert.equal(h.server.status().rejected['registry-full'], 1);
      assert.ok(await h.server.removeName('full-0'));
      assert.equal(h.server.status().state, 'ok');
    } finally {
      await h.stop();
    }
  });

  it('answers 503 "busy" beyond maxPendingRegistrations and 500 when storage fails', async () => {
    const base = createLevelRegistry(new MemoryLevel<string, string>());
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let failNext = false;
    const registry: Registry = {
      ...base,
      async insert(records) {
        await gate;
        if (failNext) throw new Error('disk full');
        return base.insert(records);
      },
    };
    const { createNameServer } = await import('../src/index.js');
    const { createServer } = await import('node:http');
    const server = await createNameServer({ maxPendingRegistrations: 2 }, { registry });
    const http = createServer((req, res) => void server.handle(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    try {
      const accounts = await makeAccounts(4);
      const first = httpRequest(port, 'POST', '/name/slow-0', registrationBody(accounts[0]!, 'slow-0'));
      const second = httpRequest(port, 'POST', '/name/slow-1', registrationBody(accounts[1]!, 'slow-1'));
      while (server.status().registrations.pending < 2) await new Promise((r) => setImmediate(r));
      const third = await httpRequest(port, 'POST', '/name/slow-2', registrationBody(accounts[2]!, 'slow-2'));
      assert.equal(third.status, 503);
      assert.equal(server.status().rejected.busy, 1);
      release();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      failNext = true;
      const failed = await httpRequest(port, 'POST', '/name/slow-3', registrationBody(accounts[3]!, 'slow-3'));
      assert.equal(failed.status, 500);
      assert.equal(failed.body, '{"error":"server error"}');
      assert.equal(server.status().state, 'degraded');
      assert.equal(server.status().rejected['storage-error'], 1);
      assert.equal(server.status().names, 2);
    } finally {
      await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('answers 503 after close() and reports down', async () => {
    const h = await startHarness();
    await h.server.close();
    try {
      const answer = await httpRequest(h.port, 'GET', '/name/anyone');
      assert.equal(answer.status, 503);
      assert.equal(h.server.status().state, 'down');
      assert.equal((await httpRequest(h.port, 'GET', '/other')).status, 418);
    } finally {
      await h.stop();
    }
  });

  it('answers (400) instead of hanging when the caller consumed the body before handle()', { timeout: 10_000 }, async () => {
    const { createNameServer } = await import('../src/index.js');
    const { createServer } = await import('node:http');
    const server = await createNameServer({}, { db: new MemoryLevel<string, string>() });
    const http = createServer((req, res) => {
      req.resume();
      req.on('end', () => void server.handle(req, res));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const [a] = await makeAccounts(1);
      const answer = await httpRequest((http.address() as { port: number }).port, 'POST', '/name/consumed', registrationBody(a!, 'consumed'));
      assert.equal(answer.status, 400);
      assert.equal(server.status().names, 0);
    } finally {
      await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('counts lookups, hits and misses', async () => {
    const h = await startHarness();
    try {
      const [a] = await makeAccounts(1);
      await httpRequest(h.port, 'POST', '/name/counted', registrationBody(a!, 'counted'));
      await httpRequest(h.port, 'GET', '/name/counted');
      await httpRequest(h.port, 'GET', '/name/uncounted');
      await httpRequest(h.port, 'GET', `/addr/${a!.addr}`);
      const s = h.server.status();
      assert.deepEqual(s.lookups, { byName: 2, byAddr: 1, found: 2, notFound: 1 });
      assert.equal(s.registrations.accepted, 1);
      assert.equal(s.rejected['not-found'], 0);
    } finally {
      await h.stop();
    }
  });
});

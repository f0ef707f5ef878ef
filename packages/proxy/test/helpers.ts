/** Test support: a box (our DHT node + the proxy) on loopback, and raw HTTP clients. */
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createDhtNode, createManualClock, type DhtNode, type ManualClock } from '@lanbox/dht';
import { createDhtProxy, type DhtProxy, type ProxyComponents, type ProxyOptions } from '@lanbox/proxy';

export interface Box {
  dht: DhtNode;
  proxy: DhtProxy;
  port: number;
  url: string;
  clock?: ManualClock;
  stop(): Promise<void>;
}

/**
 * Our DHT node on 127.0.0.1 (free UDP port) and the proxy on 127.0.0.1 (free TCP port). With
 * `manualClock` both run on one manual clock, so tests move time (value expiry, 22 h renewals).
 */
export async function startBox(
  options: ProxyOptions = {},
  components: Partial<ProxyComponents> = {},
  opts: { manualClock?: boolean; bootstrap?: string[]; dht?: DhtNode } = {},
): Promise<Box> {
  const clock = opts.manualClock ? createManualClock(Date.now()) : undefined;
  const dht =
    opts.dht ??
    createDhtNode({ port: 0, bind4: '127.0.0.1', bind6: null, bootstrap: opts.bootstrap ?? [], rateLimit: null }, clock ? { clock, scheduler: clock } : {});
  if (opts.dht === undefined) await dht.start();
  const proxy = createDhtProxy({ port: 0, host: '127.0.0.1', ...options }, { dht, ...(clock ? { clock } : {}), ...components });
  await proxy.start();
  const port = proxy.port()!;
  return {
    dht,
    proxy,
    port,
    url: `http://127.0.0.1:${port}`,
    clock,
    async stop() {
      await proxy.stop();
      if (opts.dht === undefined) await dht.stop();
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with any method (SUBSCRIBE, UNSUBSCRIBE…); resolves when the body ended. */
export function http(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'Content-Type': 'application/json', ...headers }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`timeout: ${method} ${path}`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

/** A streaming response read line by line (listen streams). */
export interface LineStream {
  status: number;
  lines: string[];
  /** Resolves once `n` lines arrived, or rejects after `ms`. */
  waitLines(n: number, ms?: number): Promise<string[]>;
  close(): void;
  closed: Promise<void>;
}

export function openStream(port: number, method: string, path: string, body?: string): Promise<LineStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { Connection: 'keep-alive' } }, (res) => {
      const lines: string[] = [];
      let partial = '';
      let waiters: Array<() => void> = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const parts = (partial + d).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      });
      res.on('error', () => {});
      const closed = new Promise<void>((r) => res.once('close', () => r()));
      resolve({
        status: res.statusCode ?? 0,
        lines,
        closed,
        close: () => req.destroy(),
        waitLines(n, ms = 10_000) {
          const deadline = Date.now() + ms;
          return new Promise((ok, fail) => {
            const check = () => {
              if (lines.length >= n) return ok(lines.slice());
              if (Date.now() > deadline) return fail(new Error(`only ${lines.length} of ${n} lines: ${lines.join(' | ')}`));
              waiters.push(check);
              setTimeout(check, 100);
            };
            check();
          });
        },
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes sent as is on a fresh connection; resolves with everything read until the server closes or `ms` pass. */
export async function raw(port: number, bytes: string | Uint8Array, ms = 3000): Promise<{ text: string; closedByServer: boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => {});
  socket.write(bytes);
  const closed = once(socket, 'close').then(() => true);
  // Cleared once settled: a pending cap would keep the test process alive for `ms` after the test.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  const closedByServer = await Promise.race([closed, timeout]);
  clearTimeout(timer);
  socket.destroy();
  return { text, closedByServer };
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not true after ${ms} ms: ${what}`);
    await delay(50);
  }
}

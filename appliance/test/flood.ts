/**
 * Connection floods and a probing "normal client", shared by the web-abuse test and the
 * `bench:abuse` script. Everything is bounded: a flood holds at most `count` connections and
 * stops reconnecting when stopped; a probe makes `count` requests, each with its own timeout.
 * Source addresses are taken from 127.0.0.0/8 (Linux routes all of it to lo).
 */
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';

export interface FloodOptions {
  port: number;
  /** Source addresses, used round-robin. */
  from: readonly string[];
  /** Connections held at once. */
  count: number;
  /** `idle`: connect and send nothing; `slowloris`: start a request and send one header line a second, never finishing. */
  kind: 'idle' | 'slowloris';
  /** Open a new connection whenever one is closed by the server. */
  reconnect: boolean;
}

export interface Flood {
  /** Connections opened so far (reconnections included). */
  readonly opened: () => number;
  /** Connections open now. */
  readonly open: () => number;
  stop(): void;
}

export function flood(o: FloodOptions): Flood {
  let opened = 0;
  let stopped = false;
  const sockets = new Set<Socket>();
  let next = 0;
  const one = (): void => {
    if (stopped) return;
    const localAddress = o.from[next++ % o.from.length];
    const socket = connect({ host: '127.0.0.1', port: o.port, ...(localAddress === undefined ? {} : { localAddress }) });
    opened++;
    sockets.add(socket);
    let drip: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (o.kind === 'slowloris') {
        socket.write('GET / HTTP/1.1\r\nHost: lanbox\r\n');
        drip = setInterval(() => socket.write(`X-Slow-${opened}: 1\r\n`), 1000);
      }
    });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      sockets.delete(socket);
      if (!stopped && o.reconnect) setTimeout(one, 20);
    });
  };
  for (let i = 0; i < o.count; i++) one();
  return {
    opened: () => opened,
    open: () => sockets.size,
    stop() {
      stopped = true;
      for (const s of sockets) s.destroy();
    },
  };
}

/** `count` addresses 127.x.y.z starting at 127.1.0.1 (skipping .0 and .255). */
export function loopbackAddresses(count: number, base = 1): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const z = (i % 254) + 1;
    const y = Math.floor(i / 254) % 256;
    out.push(`127.${base}.${y}.${z}`);
  }
  return out;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly status: number;
  readonly ms: number;
  readonly error?: string;
}

/** One GET from `from`, on a fresh connection, with a timeout. */
export function probeOnce(port: number, path: string, from: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, headers: { Connection: 'close' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode ?? 0, ms: performance.now() - started }));
      res.on('error', (e) => resolve({ ok: false, status: 0, ms: performance.now() - started, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, status: 0, ms: performance.now() - started, error: e.message }));
    req.end();
  });
}

/** `count` requests, one every `intervalMs`, each waited for (bounded by `timeoutMs`). */
export async function probe(
  port: number,
  paths: readonly string[],
  from: string,
  count: number,
  intervalMs: number,
  timeoutMs: number,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    results.push(await probeOnce(port, paths[i % paths.length] ?? '/api/status', from, timeoutMs));
    const rest = intervalMs - (performance.now() - t);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
  return results;
}

/** Waits until `check()` holds, polling every 50 ms, for at most `timeoutMs`; returns whether it held. */
export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

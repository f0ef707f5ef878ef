/**
 * Interop harness: real OpenDHT 2.4.12 peers (the `dhtnode` CLI and python3-opendht through
 * `opendht_driver.py`) started on free loopback ports, driven from tests, and killed by pid.
 *
 * Every wait is bounded: a peer that hangs makes the awaiting call reject, never the test run
 * hang. Call `stopAll()` in an `after()` hook; it kills exactly the processes this module
 * started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const DHTNODE = '/usr/bin/dhtnode';
const DRIVER = fileURLToPath(new URL('./opendht_driver.py', import.meta.url));

const started = new Set<ChildProcess>();

/** Kills every process this module started (SIGKILL, by pid) and waits for them to exit. */
export async function stopAll(): Promise<void> {
  const children = [...started];
  started.clear();
  await Promise.all(children.map((c) => killChild(c)));
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  await Promise.race([exited, delay(2000)]);
}

// A crashed test runner must not leave peers behind.
process.once('exit', () => {
  for (const c of started)
    if (c.pid !== undefined && c.exitCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
});

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `what` when `promise` has not settled after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `stepMs` until it returns a non-undefined value or `ms` elapse. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms: number, what: string, stepMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) throw new Error(`not true after ${ms} ms: ${what}`);
    await delay(stepMs);
  }
}

async function bindUdp(type: 'udp4' | 'udp6', address: string, port: number): Promise<Socket | undefined> {
  const socket = createSocket({ type, ipv6Only: type === 'udp6' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => resolve());
    });
    return socket;
  } catch {
    socket.close();
    return undefined;
  }
}

/**
 * A UDP port free on both 127.0.0.1 and ::1 (OpenDHT and our node bind both families on one
 * port). Found by binding port 0, then the same port on the other family, then releasing both.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const v4 = await bindUdp('udp4', '0.0.0.0', 0);
    if (v4 === undefined) continue;
    const port = v4.address().port;
    const v6 = await bindUdp('udp6', '::', port);
    v4.close();
    if (v6 === undefined) continue;
    v6.close();
    return port;
  }
  throw new Error('no UDP port free on both families');
}

/** Line-oriented reader over a child's stdout, with bounded waits for matching lines. */
class Lines {
  readonly all: string[] = [];
  private waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  private partial = '';
  /** At most this many lines are kept, so a chatty peer cannot grow the test's memory. */
  private static readonly MAX = 20_000;

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  private line(line: string): void {
    if (this.all.length >= Lines.MAX) this.all.shift();
    this.all.push(line);
    this.onLine?.(line);
    const ready = this.waiters.filter((w) => w.test(line));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(line);
  }

  /** The first line from index `from` on matching `test`, waiting at most `ms`. */
  wait(test: (line: string) => boolean, ms: number, what: string, from = 0): Promise<string> {
    const seen = this.all.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return withTimeout(new Promise<string>((resolve) => this.waiters.push({ test, resolve })), ms, what);
  }
}

function track(child: ChildProcess, name: string, stderr: string[]): void {
  started.add(child);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.join('').length < 100_000) stderr.push(d);
  });
  child.on('exit', () => started.delete(child));
  child.on('error', (e) => stderr.push(`${name}: ${e.message}`));
}

// ---------------------------------------------------------------------------------------------
// python3-opendht peer

/** A value as reported by the driver (see `describe` in opendht_driver.py). */
export interface PyValue {
  id: string;
  data: string;
  userType: string;
  size: number;
  certificate: boolean;
  signed: boolean;
  owner?: string;
  text: string;
}

export interface PyListenEvent {
  tag: string;
  expired: boolean;
  value: PyValue;
}

export interface PyNodeOptions {
  /** UDP port on 127.0.0.1 and ::1; a free one when omitted. */
  port?: number;
  /** `[host, port]` pairs to bootstrap from. */
  bootstrap?: Array<[string, number]>;
  /** Run as a secure node with a fresh RSA identity (its certificate gets published). */
  identity?: boolean;
  network?: number;
  /** Seconds the driver waits between two bootstrap entries (a preempted thread, made certain). */
  bootstrapPause?: number;
}

export interface PyNode {
  readonly pid: number;
  readonly port: number;
  readonly nodeId: string;
  readonly publicKeyId?: string;
  readonly certificatePem?: string;
  readonly events: PyListenEvent[];
  readonly stderr: string[];
  call<T = unknown>(op: string, args?: Record<string, unknown>, ms?: number): Promise<T>;
  put(
    keyHex: string,
    dataHex: string,
    opts?: { valueId?: bigint; userType?: string; timeoutS?: number },
  ): Promise<{ ok: boolean; valueId: string; nodes: string[] }>;
  get(keyHex: string, timeoutS?: number): Promise<{ ok: boolean; values: PyValue[]; nodes: string[] }>;
  listen(keyHex: string, tag: string): Promise<void>;
  /** Waits for a listen event matching `test`. */
  waitEvent(test: (e: PyListenEvent) => boolean, ms: number, what: string): Promise<PyListenEvent>;
  routingLog(family: 4 | 6): Promise<string>;
  kill(): Promise<void>;
}

export async function startPyNode(options: PyNodeOptions = {}): Promise<PyNode> {
  const port = options.port ?? (await freePort());
  const child = spawn(PYTHON, ['-u', DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  track(child, 'opendht_driver', stderr);
  if (child.pid === undefined) throw new Error('python3 did not start');
  const pid = child.pid;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const events: PyListenEvent[] = [];
  const eventWaiters: Array<{ test: (e: PyListenEvent) => boolean; resolve: (e: PyListenEvent) => void }> = [];
  let nextId = 1;
  // Answers go to their caller, listen events to the event queue.
  const lines = new Lines((line) => {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string } & Partial<PyListenEvent>;
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.event === 'value') {
      const e: PyListenEvent = { tag: msg.tag!, expired: msg.expired!, value: msg.value! };
      if (events.length < 10_000) events.push(e);
      for (const w of eventWaiters.filter((x) => x.test(e))) {
        eventWaiters.splice(eventWaiters.indexOf(w), 1);
        w.resolve(e);
      }
    } else if (typeof msg.id === 'number') {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.result);
      else p?.reject(new Error(`python op failed: ${msg.error}`));
    }
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => lines.push(chunk));
  child.on('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`python driver exited (${code ?? signal}): ${stderr.join('')}`));
    pending.clear();
  });

  function call<T>(op: string, args: Record<string, unknown> = {}, ms = 15_000): Promise<T> {
    const id = nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    child.stdin.write(JSON.stringify({ id, op, ...args }) + '\n');
    return withTimeout(answer, ms, `python ${op}`).finally(() => pending.delete(id));
  }

  const info = await call<{ nodeId: string; port: number; publicKeyId?: string; certificate?: string }>(
    'start',
    {
      port,
      bootstrap: options.bootstrap ?? [],
      identity: options.identity ?? false,
      network: options.network ?? 0,
      bootstrapPause: options.bootstrapPause ?? 0,
    },
    30_000,
  );
  const node: PyNode = {
    pid,
    port: info.port,
    nodeId: info.nodeId,
    ...(info.publicKeyId !== undefined ? { publicKeyId: info.publicKeyId } : {}),
    ...(info.certificate !== undefined ? { certificatePem: info.certificate } : {}),
    events,
    stderr,
    call,
    put: (keyHex, dataHex, opts = {}) => {
      const timeoutS = opts.timeoutS ?? 10;
      return call(
        'put',
        {
          key: keyHex,
          data: dataHex,
          ...(opts.valueId !== undefined ? { valueId: opts.valueId.toString() } : {}),
          ...(opts.userType !== undefined ? { userType: opts.userType } : {}),
          timeout: timeoutS,
        },
        timeoutS * 1000 + 2000,
      );
    },
    get: (keyHex, timeoutS = 10) => call('get', { key: keyHex, timeout: timeoutS }, timeoutS * 1000 + 2000),
    listen: async (keyHex, tag) => {
      await call('listen', { key: keyHex, tag });
    },
    waitEvent: (test, ms, what) => {
      const seen = events.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return withTimeout(new Promise<PyListenEvent>((resolve) => eventWaiters.push({ test, resolve })), ms, what);
    },
    routingLog: (family) => call<string>('routing', { family: family === 4 ? 2 : 10 }),
    kill: () => killChild(child),
  };
  return node;
}

// ---------------------------------------------------------------------------------------------
// dhtnode CLI peer

export interface DhtnodeOptions {
  port?: number;
  /** `host:port` to bootstrap from (IPv6 as `[::1]:port`). */
  bootstrap?: string;
  /** `-i`: generate an identity (enables `s` signed puts and publishes the certificate). */
  identity?: boolean;
}

export interface DhtnodeValue {
  id: string;
  signed: boolean;
  /** The printable value as the CLI shows it, e.g. `Value[id:… data(text/plain):"x"]`. */
  text: string;
}

export interface Dhtnode {
  readonly pid: number;
  readonly port: number;
  readonly nodeId: string;
  readonly publicKeyId?: string;
  readonly output: string[];
  readonly stderr: string[];
  /** Waits (at most `ms`) for an output line matching `test`, including lines already printed. */
  waitLine(test: RegExp, ms: number, what: string): Promise<string>;
  /** Sends one CLI line and waits (at most `ms`) for a line matching `until`; returns the lines in between. */
  command(line: string, until: RegExp, ms: number): Promise<string[]>;
  get(key: string, ms?: number): Promise<DhtnodeValue[]>;
  put(key: string, text: string, ms?: number): Promise<string>;
  putSigned(key: string, text: string, ms?: number): Promise<void>;
  kill(): Promise<void>;
}

const VALUE_LINE = /^\s*Value\[id:([0-9a-f]+) (signed \(v\d+\) )?/;

export function parseDhtnodeValues(lines: string[]): DhtnodeValue[] {
  const values: DhtnodeValue[] = [];
  for (const line of lines) {
    const m = VALUE_LINE.exec(line);
    if (m) values.push({ id: m[1]!, signed: m[2] !== undefined, text: line.trim() });
  }
  return values;
}

export async function startDhtnode(options: DhtnodeOptions = {}): Promise<Dhtnode> {
  const port = options.port ?? (await freePort());
  const args = ['-p', String(port)];
  if (options.bootstrap !== undefined) args.push('-b', options.bootstrap);
  if (options.identity) args.push('-i');
  const child = spawn(DHTNODE, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  track(child, 'dhtnode', stderr);
  if (child.pid === undefined) throw new Error('dhtnode did not start');
  const lines = new Lines();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => lines.push(chunk.replace(/>> /g, '')));
  // `-i` first generates an RSA identity: seconds of CPU, and far longer on a busy 2-core machine
  // (15 s was once not enough there). The bound only has to end a hung start.
  const first = await lines.wait((l) => /OpenDHT node [0-9a-f]{40} running on port/.test(l), options.identity ? 60_000 : 30_000, 'dhtnode start');
  const nodeId = /node ([0-9a-f]{40})/.exec(first)![1]!;
  let publicKeyId: string | undefined;
  if (options.identity) {
    const pk = await lines.wait((l) => l.startsWith('Public key ID '), 5000, 'dhtnode public key id');
    publicKeyId = pk.slice('Public key ID '.length).trim();
  }
  // One CLI command at a time: the CLI's answers are not tagged.
  let queue: Promise<unknown> = Promise.resolve();
  function command(line: string, until: RegExp, ms: number): Promise<string[]> {
    const run = async (): Promise<string[]> => {
      if (child.stdin === null || child.exitCode !== null) throw new Error('dhtnode is not running');
      const from = lines.all.length;
      child.stdin.write(line + '\n');
      await lines.wait((l) => until.test(l), ms, `dhtnode "${line}" → ${until}`, from);
      const end = lines.all.findIndex((l, i) => i >= from && until.test(l));
      return lines.all.slice(from, end + 1);
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }
  return {
    pid: child.pid,
    port,
    nodeId,
    ...(publicKeyId !== undefined ? { publicKeyId } : {}),
    output: lines.all,
    stderr,
    waitLine: (test, ms, what) => lines.wait((l) => test.test(l), ms, what),
    command,
    get: async (key, ms = 15_000) => parseDhtnodeValues(await command(`g ${key}`, /^Get: (completed|failure)/, ms)),
    put: async (key, text, ms = 15_000) => {
      const out = await command(`p ${key} ${text}`, /^Put: (success|failure)/, ms);
      const last = out[out.length - 1]!;
      if (!last.startsWith('Put: success')) throw new Error(`dhtnode put failed: ${last}`);
      return /Value ID: ([0-9a-f]+)/.exec(last)?.[1] ?? '';
    },
    putSigned: async (key, text, ms = 20_000) => {
      const out = await command(`s ${key} ${text}`, /^Put signed: (success|failure)/, ms);
      const last = out[out.length - 1]!;
      if (!last.startsWith('Put signed: success')) throw new Error(`dhtnode signed put failed: ${last}`);
    },
    kill: () => killChild(child),
  };
}

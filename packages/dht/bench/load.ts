/**
 * UDP load generator for DHT benchmarks: OpenDHT requests from many loopback source addresses
 * (127.0.0.2, 127.0.0.3, ...), each with its own node id and write token.
 *
 * Datagrams are encoded once per source and operation with the real codec, then copied and
 * patched in place per send (transaction id, key/target, value id), so the generator spends its
 * CPU on sockets, not on msgpack. Replies are matched by transaction id, read straight from the
 * reply bytes. Every run is bounded in request count and in time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decodeMessage, encodeMessage, makeValue, type Message, type Request } from '../src/codec/index.js';

export type Op = 'ping' | 'find' | 'get' | 'put' | 'listen';
export type Workload = Op | 'mix';

/** Operation mix: 30% ping, 30% find, 20% get, 10% put, 10% listen. */
const MIX: Op[] = ['ping', 'find', 'get', 'ping', 'find', 'get', 'ping', 'find', 'put', 'listen'];

const TID_MARK = 0xfeedf00d;
const VID_MARK = 0xf00dfacecafebaben;
/** Transaction ids start high so they always take the 5-byte uint32 form OpenDHT echoes. */
const TID_BASE = 0x10000000;
/** Listen keys are `putKey(LISTEN_KEY_BASE + i)`, far from any put index. */
const LISTEN_KEY_BASE = 1e12;

export interface Target {
  name: string;
  host: string;
  port: number;
}

interface Template {
  bytes: Buffer;
  tidAt: number;
  keyAt: number;
  vidAt: number;
}

interface Source {
  socket: Socket;
  address: string;
  nodeId: Uint8Array;
  token?: Uint8Array;
  templates: Partial<Record<Op, Template>>;
  pending: Map<number, { sentNs: bigint; slot: number }>;
}

export interface RunResult {
  target: string;
  workload: Workload;
  sent: number;
  replies: number;
  errors: number;
  lost: number;
  /** From the first send to the last answer (waiting for lost requests is not counted). */
  seconds: number;
  repliesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RunOptions {
  workload: Workload;
  /** Requests to send in total. */
  count: number;
  /** Requests in flight per source. */
  window: number;
  /** Hard stop, whatever is left. */
  maxSeconds: number;
  /** A request unanswered after this long counts as lost. @default 250 */
  lostAfterMs?: number;
  /** Puts use keys `putKey(putOffset + i)`, so later runs can read them back. @default 0 */
  putOffset?: number;
  /** Gets read keys `putKey(i % getKeys)`. @default 1 */
  getKeys?: number;
  /**
   * Listens cycle over this many keys (no values are put there), so most listens refresh an
   * existing subscription as Jami's 20-s re-listens do, and the servers' subscription bounds are
   * not what is measured. @default 100
   */
  listenKeys?: number;
}

function indexOf(haystack: Buffer, needle: Buffer): number {
  const at = haystack.indexOf(needle);
  if (at < 0 || haystack.indexOf(needle, at + 1) >= 0) throw new Error('template marker not unique');
  return at;
}

/** Reads the `t` of a reply/error: OpenDHT and our node write `t` after the body map, before `y` and `v`. */
export function replyTid(b: Buffer): number | undefined {
  // The key "t" is `a1 74`; its last occurrence is the envelope's (body bytes come before it).
  const at = b.lastIndexOf(TID_KEY);
  if (at < 0) return undefined;
  const p = at + 2;
  const tag = b[p];
  if (tag === undefined) return undefined;
  if (tag <= 0x7f) return tag;
  if (tag === 0xcc && p + 1 < b.length) return b[p + 1];
  if (tag === 0xcd && p + 2 < b.length) return b.readUInt16BE(p + 1);
  if (tag === 0xce && p + 4 < b.length) return b.readUInt32BE(p + 1);
  return undefined;
}
const TID_KEY = Buffer.from([0xa1, 0x74]);

/** True for a reply or error (first key `r` or `e`), false for requests the server sends us. */
function isAnswer(b: Buffer): boolean {
  return b.length > 3 && b[1] === 0xa1 && (b[2] === 0x72 || b[2] === 0x65);
}
function isError(b: Buffer): boolean {
  return b[2] === 0x65;
}

export class LoadClient {
  private constructor(
    private readonly sources: Source[],
    private readonly keyBase: Buffer,
  ) {}

  /** Binds `count` sockets on 127.0.0.2, 127.0.0.3, ... (at most 250 sources). */
  static async create(count: number): Promise<LoadClient> {
    if (count < 1 || count > 250) throw new RangeError('1..250 sources');
    const sources: Source[] = [];
    for (let i = 0; i < count; i++) {
      const address = `127.0.0.${2 + i}`;
      const socket = createSocket({ type: 'udp4' });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, address, () => resolve());
      });
      try {
        socket.setRecvBufferSize(4 << 20);
        socket.setSendBufferSize(4 << 20);
      } catch {
        // capped by net.core.rmem_max: smaller buffers only mean more loss at saturation
      }
      sources.push({ socket, address, nodeId: randomBytes(20), templates: {}, pending: new Map() });
    }
    return new LoadClient(sources, randomBytes(20));
  }

  get sourceCount(): number {
    return this.sources.length;
  }

  /** The i-th key puts write to (distinct for every i). */
  putKey(i: number, out: Buffer = Buffer.alloc(20), at = 0): Buffer {
    this.keyBase.copy(out, at, 0, 12);
    out.writeBigUInt64BE(BigInt(i), at + 12);
    return out;
  }

  /** Fetches a write token for every source (one get each, retried, bounded) and builds templates. */
  async prepare(target: Target): Promise<void> {
    for (const s of this.sources) {
      s.pending.clear();
      s.token = undefined;
      s.templates = {};
    }
    await Promise.all(this.sources.map((s) => this.fetchToken(s, target)));
    for (const s of this.sources) for (const op of ['ping', 'find', 'get', 'put', 'listen'] as Op[]) s.templates[op] = this.template(s, op);
  }

  /** Ping templates for every source without asking the target for tokens (for a responder that only echoes). */
  pingTemplatesOnly(): void {
    for (const s of this.sources) {
      s.pending.clear();
      s.templates = { ping: this.template(s, 'ping') };
    }
  }

  private async fetchToken(s: Source, target: Target): Promise<void> {
    const req = encodeMessage(this.message(s, { type: 'get', id: s.nodeId, key: randomBytes(20) }, 1));
    for (let attempt = 0; attempt < 10; attempt++) {
      const token = await new Promise<Uint8Array | undefined>((resolve) => {
        const timer = setTimeout(() => {
          s.socket.off('message', onMessage);
          resolve(undefined);
        }, 500);
        const onMessage = (msg: Buffer): void => {
          const decoded = decodeMessage(msg);
          if (decoded.ok && decoded.value.kind === 'reply' && decoded.value.tid === 1 && decoded.value.reply.token) {
            clearTimeout(timer);
            s.socket.off('message', onMessage);
            resolve(decoded.value.reply.token);
          }
        };
        s.socket.on('message', onMessage);
        s.socket.send(req, target.port, target.host);
      });
      if (token) {
        s.token = token;
        return;
      }
    }
    throw new Error(`${target.name}: no token for source ${s.address}`);
  }

  private message(s: Source, request: Request, tid: number): Message {
    void s;
    return { kind: 'request', tid, userAgent: 'o2', networkId: 0, client: false, request };
  }

  private template(s: Source, op: Op): Template {
    const keyMark = randomBytes(20);
    const token = s.token ?? new Uint8Array(32);
    let request: Request;
    switch (op) {
      case 'ping':
        request = { type: 'ping', id: s.nodeId };
        break;
      case 'find':
        request = { type: 'find', id: s.nodeId, target: keyMark };
        break;
      case 'get':
        request = { type: 'get', id: s.nodeId, key: keyMark };
        break;
      case 'listen':
        request = { type: 'listen', id: s.nodeId, key: keyMark, token, socketId: 1, version: 1 };
        break;
      case 'put': {
        const value = makeValue({ id: VID_MARK, body: { type: 0, data: new Uint8Array(64).fill(0x42) } });
        request = { type: 'put', id: s.nodeId, key: keyMark, values: { kind: 'inline', values: [value] }, token };
        break;
      }
    }
    const bytes = Buffer.from(encodeMessage(this.message(s, request, TID_MARK)));
    const tidMark = Buffer.from([0xce, 0, 0, 0, 0]);
    tidMark.writeUInt32BE(TID_MARK, 1);
    const vidMark = Buffer.alloc(9);
    vidMark[0] = 0xcf;
    vidMark.writeBigUInt64BE(VID_MARK, 1);
    return {
      bytes,
      tidAt: indexOf(bytes, tidMark) + 1,
      keyAt: op === 'ping' ? -1 : indexOf(bytes, keyMark),
      vidAt: op === 'put' ? indexOf(bytes, vidMark) + 1 : -1,
    };
  }

  /**
   * Closed loop: every source keeps `window` requests in flight until `count` were sent, then
   * waits for the last answers (or `lostAfterMs`). Stops at `maxSeconds` regardless.
   */
  run(target: Target, opts: RunOptions): Promise<RunResult> {
    const lostAfterNs = BigInt(opts.lostAfterMs ?? 250) * 1_000_000n;
    const getKeys = Math.max(1, opts.getKeys ?? 1);
    const putOffset = opts.putOffset ?? 0;
    const latencies = new Float64Array(opts.count);
    let sent = 0;
    let replies = 0;
    let errors = 0;
    let lost = 0;
    let tid = TID_BASE;
    const listenKeys = Math.max(1, opts.listenKeys ?? 100);
    let puts = 0;
    let gets = 0;
    let listens = 0;
    const start = process.hrtime.bigint();
    let lastAnswer = start;
    const sources = this.sources;

    const sendNext = (s: Source): void => {
      if (sent >= opts.count) return;
      const slot = sent++;
      const op = opts.workload === 'mix' ? MIX[slot % MIX.length]! : opts.workload;
      const t = s.templates[op]!;
      const buf = Buffer.allocUnsafe(t.bytes.length);
      t.bytes.copy(buf);
      const myTid = tid++;
      buf.writeUInt32BE(myTid >>> 0, t.tidAt);
      if (op === 'put') {
        this.putKey(putOffset + puts, buf, t.keyAt);
        buf.writeBigUInt64BE(BigInt(putOffset + puts) + 1n, t.vidAt);
        puts++;
      } else if (op === 'get') {
        this.putKey(gets++ % getKeys, buf, t.keyAt);
      } else if (op === 'listen') {
        this.putKey(LISTEN_KEY_BASE + (listens++ % listenKeys), buf, t.keyAt);
      } else if (t.keyAt >= 0) {
        randomFill(buf, t.keyAt);
      }
      s.pending.set(myTid, { sentNs: process.hrtime.bigint(), slot });
      s.socket.send(buf, target.port, target.host);
    };

    return new Promise<RunResult>((resolve) => {
      const listeners: Array<[Source, (m: Buffer) => void]> = [];
      const finish = (): void => {
        clearInterval(sweeper);
        for (const [s, l] of listeners) s.socket.off('message', l);
        for (const s of sources) {
          lost += s.pending.size;
          s.pending.clear();
        }
        const seconds = Number(lastAnswer - start) / 1e9;
        const got = latencies.slice(0, replies + errors).sort();
        const pct = (p: number): number => (got.length ? got[Math.min(got.length - 1, Math.floor(p * got.length))]! : NaN);
        resolve({
          target: target.name,
          workload: opts.workload,
          sent,
          replies,
          errors,
          lost,
          seconds,
          repliesPerSecond: seconds > 0 ? replies / seconds : 0,
          p50Ms: pct(0.5),
          p99Ms: pct(0.99),
        });
      };
      const done = (): boolean => sent >= opts.count && sources.every((s) => s.pending.size === 0);
      for (const s of sources) {
        const onMessage = (m: Buffer): void => {
          if (!isAnswer(m)) return;
          const t = replyTid(m);
          if (t === undefined) return;
          const p = s.pending.get(t);
          if (!p) return;
          s.pending.delete(t);
          lastAnswer = process.hrtime.bigint();
          latencies[replies + errors] = Number(lastAnswer - p.sentNs) / 1e6;
          if (isError(m)) errors++;
          else replies++;
          sendNext(s);
          if (done()) finish();
        };
        listeners.push([s, onMessage]);
        s.socket.on('message', onMessage);
      }
      const sweeper = setInterval(() => {
        const now = process.hrtime.bigint();
        for (const s of sources) {
          for (const [t, p] of s.pending) {
            if (now - p.sentNs > lostAfterNs) {
              s.pending.delete(t);
              lost++;
              sendNext(s);
            }
          }
        }
        if (done() || now - start > BigInt(opts.maxSeconds) * 1_000_000_000n) finish();
      }, 50);
      for (const s of sources) for (let i = 0; i < opts.window; i++) sendNext(s);
    });
  }

  /**
   * Open loop: `rate` pings per second in total, spread over all sources, for `seconds`;
   * counts answers per one-second bucket.
   */
  flood(target: Target, rate: number, seconds: number, onSecond?: (second: number) => void): Promise<{ sent: number; answersPerSecond: number[] }> {
    const buckets = new Array<number>(Math.ceil(seconds) + 2).fill(0);
    const start = Date.now();
    let sent = 0;
    let tid = TID_BASE;
    let next = 0;
    const sources = this.sources;
    const listeners: Array<[Source, (m: Buffer) => void]> = [];
    for (const s of sources) {
      const onMessage = (m: Buffer): void => {
        if (!isAnswer(m)) return;
        const i = Math.floor((Date.now() - start) / 1000);
        if (i < buckets.length) buckets[i]!++;
      };
      listeners.push([s, onMessage]);
      s.socket.on('message', onMessage);
    }
    return new Promise((resolve) => {
      let lastSecond = 0;
      const stepMs = 5;
      const timer = setInterval(() => {
        const elapsed = (Date.now() - start) / 1000;
        if (elapsed >= seconds) {
          clearInterval(timer);
          // Let the last answers arrive before counting stops.
          setTimeout(() => {
            for (const [s, l] of listeners) s.socket.off('message', l);
            resolve({ sent, answersPerSecond: buckets.slice(0, Math.floor(seconds)) });
          }, 300);
          return;
        }
        const due = Math.floor(elapsed * rate) - sent;
        for (let i = 0; i < due; i++) {
          const s = sources[next++ % sources.length]!;
          const t = s.templates.ping!;
          const buf = Buffer.allocUnsafe(t.bytes.length);
          t.bytes.copy(buf);
          buf.writeUInt32BE(tid++ >>> 0 || 1, t.tidAt);
          s.socket.send(buf, target.port, target.host);
          sent++;
        }
        const second = Math.floor(elapsed);
        if (second !== lastSecond) {
          lastSecond = second;
          onSecond?.(second);
        }
      }, stepMs);
    });
  }

  /** How many of the put keys `indices` the target returns values for (one get each, 1 s max). */
  async probeStored(target: Target, indices: number[]): Promise<number> {
    let found = 0;
    const s = this.sources[0]!;
    for (const [n, i] of indices.entries()) {
      const req = encodeMessage(this.message(s, { type: 'get', id: s.nodeId, key: this.putKey(i) }, TID_BASE + n));
      const hasValues = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          s.socket.off('message', onMessage);
          resolve(false);
        }, 1000);
        const onMessage = (msg: Buffer): void => {
          const d = decodeMessage(msg);
          if (d.ok && d.value.kind === 'reply' && d.value.tid === TID_BASE + n) {
            clearTimeout(timer);
            s.socket.off('message', onMessage);
            const v = d.value.reply.values;
            resolve(v !== undefined && (v.kind === 'inline' ? v.values.length > 0 : v.sizes.length > 0));
          }
        };
        s.socket.on('message', onMessage);
        s.socket.send(req, target.port, target.host);
      });
      if (hasValues) found++;
    }
    return found;
  }

  close(): void {
    for (const s of this.sources) s.socket.close();
  }
}

let pool = randomBytes(1 << 16);
let poolAt = 0;
/** Overwrites 20 bytes at `at` with random bytes (from a pool refilled when used up). */
function randomFill(buf: Buffer, at: number): void {
  if (poolAt + 20 > pool.length) {
    pool = randomBytes(1 << 16);
    poolAt = 0;
  }
  pool.copy(buf, at, poolAt, poolAt + 20);
  poolAt += 20;
}

/**
 * Value parts (§9): messages whose values are large are sent as a header listing the packed
 * sizes, followed by `y: "p"` datagrams of at most 1280 data bytes each. This file splits values
 * for sending and reassembles received ones, within fixed memory and time bounds.
 */

import { MAX_VALUE_PACKED_SIZE } from './decode.js';
import { decodeValue } from './value.js';
import type { Message, Value, ValueList, ValuePart } from './types.js';

/** Data bytes per value part (OpenDHT's internal "MTU"). */
export const PART_SIZE = 1280;
/** Values totalling this many packed bytes or more are fragmented. */
export const INLINE_MAX_BYTES = 600;
/** This many values or more are fragmented whatever their size. */
export const INLINE_MAX_VALUES = 50;

/** Whether OpenDHT would send these values as value parts rather than inline. */
export function needsFragmentation(values: readonly Value[]): boolean {
  if (values.length >= INLINE_MAX_VALUES) return true;
  let total = 0;
  for (const v of values) total += packedSize(v);
  return total >= INLINE_MAX_BYTES;
}

/** Bytes of a value's packed form, from whichever form it has (see `Value.packedText`). */
export function packedSize(v: Value): number {
  return v.packedText !== undefined ? v.packedText.length : v.packed.length;
}

/**
 * Split values into the sizes header and the parts to send after it, in sending order (value by
 * value, increasing offsets). Each part goes in its own `value-part` datagram with the header's tid.
 */
export function fragmentValues(values: readonly Value[]): { sizes: number[]; parts: ValuePart[] } {
  const sizes: number[] = [];
  const parts: ValuePart[] = [];
  values.forEach((v, index) => {
    const packed = v.packed;
    sizes.push(packed.length);
    for (let offset = 0; offset < packed.length; offset += PART_SIZE) {
      parts.push({ index, offset, data: packed.subarray(offset, Math.min(offset + PART_SIZE, packed.length)) });
    }
  });
  return { sizes, parts };
}

export interface ReassemblerOptions {
  /** A message must be complete this long after its header. @default 10000 */
  totalTimeoutMs?: number;
  /** At most this long between two parts (or header and first part). @default 3000 */
  partTimeoutMs?: number;
  /** Messages being reassembled at once; more headers are dropped. @default 256 */
  maxPending?: number;
  /**
   * Messages being reassembled at once for one sender group (the `group` given to {@link
   * Reassembler.push}, e.g. its IP address): headers are cheap, and one host sending only headers
   * must not take every context (Jami's signed values always travel as value parts). @default 32
   */
  maxPendingPerGroup?: number;
  /** Sum of the declared sizes of all messages being reassembled. @default 8388608 (8 MiB) */
  maxBufferedBytes?: number;
  /** Parts that arrived before their header, kept until it comes (or for `partTimeoutMs`). @default 64 */
  maxEarlyParts?: number;
  /** Data bytes of those early parts, all together. @default 262144 (256 KiB) */
  maxEarlyBytes?: number;
  /** A declared value size above this is ignored (never expected). @default 65568 */
  maxValueSize?: number;
}

export interface ReassemblerStats {
  /** Messages currently waiting for parts. */
  pending: number;
  /** Bytes reserved by pending messages. */
  bufferedBytes: number;
  /** Parts held while waiting for their header. */
  earlyParts: number;
  /** Data bytes of those parts. */
  earlyBytes: number;
  completed: number;
  /** Pending messages discarded for exceeding the total or between-part time. */
  timedOut: number;
  /** Headers dropped because of `maxPending` / `maxBufferedBytes`. */
  droppedHeaders: number;
  /** Parts dropped: unknown index, out of bounds, overlapping, or no room to wait for a header. */
  droppedParts: number;
  /** Reassembled blobs that did not decode as a value (skipped, like OpenDHT does). */
  invalidValues: number;
}

export type ReassemblyResult =
  | {
      /** The message is whole: `message` has its values inline (same object when nothing was fragmented). */
      status: 'complete';
      message: Message;
      values: Value[];
    }
  | { status: 'pending' }
  | { status: 'dropped'; reason: string };

interface Slot {
  size: number;
  buffer?: Uint8Array;
  received: number;
  /** Sorted, non-overlapping [start, end) ranges already received. */
  ranges: number[];
}

interface Pending {
  message: Message;
  group: string;
  /** One slot per `values` index; `undefined` for sizes above the limit (never expected). */
  slots: Array<Slot | undefined>;
  reserved: number;
  startedAt: number;
  lastAt: number;
}

interface EarlyPart {
  key: string;
  part: ValuePart;
  at: number;
}

const PENDING: ReassemblyResult = { status: 'pending' };

/** Fragmented values of a header message, or undefined when it carries none. */
function fragmentedSizes(msg: Message): number[] | undefined {
  let list: ValueList | undefined;
  if (msg.kind === 'request' && (msg.request.type === 'put' || msg.request.type === 'update')) list = msg.request.values;
  else if (msg.kind === 'reply') list = msg.reply.values;
  return list?.kind === 'fragmented' ? list.sizes : undefined;
}

function withInlineValues(msg: Message, values: Value[]): Message {
  const list: ValueList = { kind: 'inline', values };
  if (msg.kind === 'reply') return { ...msg, reply: { ...msg.reply, values: list } };
  if (msg.kind === 'request' && (msg.request.type === 'put' || msg.request.type === 'update')) {
    return { ...msg, request: { ...msg.request, values: list } };
  }
  return msg;
}

/**
 * Reassembles fragmented messages. Feed it every decoded message that has fragmented values and
 * every value part, with a `source` naming the sender (e.g. `"ip:port"`); contexts are keyed by
 * source and tid. Parts may arrive out of order, and (within `maxEarlyParts`/`maxEarlyBytes`)
 * before their header; call {@link tick} periodically to expire stale contexts. Like OpenDHT ≥ 4,
 * only push a fragmented *reply* once it matches a request of ours, so that unsolicited headers
 * cannot reserve memory.
 */
export class Reassembler {
  private readonly totalTimeoutMs: number;
  private readonly partTimeoutMs: number;
  private readonly maxPending: number;
  private readonly maxPendingPerGroup: number;
  private readonly pendingPerGroup = new Map<string, number>();
  private readonly maxBufferedBytes: number;
  private readonly maxEarlyParts: number;
  private readonly maxEarlyBytes: number;
  private earlyBytes = 0;
  private readonly maxValueSize: number;
  private readonly clock: { now(): number };
  private readonly pendingByKey = new Map<string, Pending>();
  private early: EarlyPart[] = [];
  private bufferedBytes = 0;
  private readonly counters = {
    completed: 0,
    timedOut: 0,
    droppedHeaders: 0,
    droppedParts: 0,
    invalidValues: 0,
  };

  constructor(options: ReassemblerOptions, components: { clock: { now(): number } }) {
    this.totalTimeoutMs = options.totalTimeoutMs ?? 10_000;
    this.partTimeoutMs = options.partTimeoutMs ?? 3_000;
    this.maxPending = options.maxPending ?? 256;
    this.maxPendingPerGroup = options.maxPendingPerGroup ?? 32;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.maxEarlyParts = options.maxEarlyParts ?? 64;
    this.maxEarlyBytes = options.maxEarlyBytes ?? 256 * 1024;
    this.maxValueSize = options.maxValueSize ?? MAX_VALUE_PACKED_SIZE;
    this.clock = components.clock;
  }

  /**
   * Offer a message. Messages with nothing fragmented come straight back as `complete`; headers
   * and parts return `pending` until the last part arrives. `group` (default: `source`) names the
   * sender for the per-group limit, e.g. its IP address when `source` also holds the port.
   */
  push(source: string, message: Message, group: string = source): ReassemblyResult {
    if (message.kind === 'value-part') return this.onParts(`${source}|${message.tid}`, message.parts);
    const sizes = fragmentedSizes(message);
    if (sizes === undefined) return { status: 'complete', message, values: inlineValues(message) };
    return this.onHeader(`${source}|${message.tid}`, message, sizes, group);
  }

  /** Drop contexts and early parts that ran out of time. */
  tick(): void {
    const now = this.clock.now();
    for (const [key, p] of this.pendingByKey) {
      if (this.expired(p, now)) {
        this.discard(key, p);
        this.counters.timedOut++;
      }
    }
    this.setEarly(this.early.filter((e) => now - e.at <= this.partTimeoutMs));
  }

  private setEarly(early: EarlyPart[]): void {
    this.early = early;
    this.earlyBytes = 0;
    for (const e of early) this.earlyBytes += e.part.data.length;
  }

  stats(): ReassemblerStats {
    return {
      pending: this.pendingByKey.size,
      bufferedBytes: this.bufferedBytes,
      earlyParts: this.early.length,
      earlyBytes: this.earlyBytes,
      ...this.counters,
    };
  }

  private expired(p: Pending, now: number): boolean {
    return now - p.startedAt > this.totalTimeoutMs || now - p.lastAt > this.partTimeoutMs;
  }

  private discard(key: string, p: Pending): void {
    this.pendingByKey.delete(key);
    this.bufferedBytes -= p.reserved;
    const left = (this.pendingPerGroup.get(p.group) ?? 1) - 1;
    if (left > 0) this.pendingPerGroup.set(p.group, left);
    else this.pendingPerGroup.delete(p.group);
  }

  private onHeader(key: string, message: Message, sizes: number[], group: string): ReassemblyResult {
    const now = this.clock.now();
    const existing = this.pendingByKey.get(key);
    if (existing !== undefined) {
      if (!this.expired(existing, now)) return PENDING; // a retransmitted header: keep what we have
      this.discard(key, existing);
      this.counters.timedOut++;
    }
    const slots: Array<Slot | undefined> = [];
    let reserved = 0;
    for (const size of sizes) {
      if (size > this.maxValueSize) {
        slots.push(undefined);
      } else {
        slots.push({ size, received: 0, ranges: [] });
        reserved += size;
      }
    }
    if (reserved === 0 && slots.every((s) => s === undefined)) {
      // Nothing acceptable announced (e.g. only oversize values): an empty, complete message.
      this.counters.completed++;
      return { status: 'complete', message: withInlineValues(message, []), values: [] };
    }
    if (this.pendingByKey.size >= this.maxPending) {
      this.counters.droppedHeaders++;
      return { status: 'dropped', reason: 'too many pending reassemblies' };
    }
    const ofGroup = this.pendingPerGroup.get(group) ?? 0;
    if (ofGroup >= this.maxPendingPerGroup) {
      this.counters.droppedHeaders++;
      return { status: 'dropped', reason: 'too many pending reassemblies from this sender' };
    }
    if (this.bufferedBytes + reserved > this.maxBufferedBytes) {
      this.counters.droppedHeaders++;
      return { status: 'dropped', reason: 'reassembly buffer full' };
    }
    const pending: Pending = { message, group, slots, reserved, startedAt: now, lastAt: now };
    this.pendingByKey.set(key, pending);
    this.pendingPerGroup.set(group, ofGroup + 1);
    this.bufferedBytes += reserved;

    // Parts that came before this header.
    let result: ReassemblyResult = PENDING;
    if (this.early.length > 0) {
      const mine = this.early.filter((e) => e.key === key && now - e.at <= this.partTimeoutMs);
      if (mine.length > 0) this.setEarly(this.early.filter((e) => e.key !== key));
      if (mine.length > 0)
        result = this.onParts(
          key,
          mine.map((e) => e.part),
        );
    }
    // Zero-size values need no part at all.
    if (result.status === 'pending' && this.isComplete(pending)) result = this.finish(key, pending);
    return result;
  }

  private onParts(key: string, parts: ValuePart[]): ReassemblyResult {
    const now = this.clock.now();
    const p = this.pendingByKey.get(key);
    if (p === undefined) {
      for (const part of parts) {
        if (this.early.length >= this.maxEarlyParts || this.earlyBytes + part.data.length > this.maxEarlyBytes) {
          this.counters.droppedParts++;
          continue;
        }
        this.early.push({ key, part, at: now });
        this.earlyBytes += part.data.length;
      }
      return PENDING;
    }
    if (this.expired(p, now)) {
      this.discard(key, p);
      this.counters.timedOut++;
      return { status: 'dropped', reason: 'reassembly timed out' };
    }
    for (const part of parts) {
      if (!this.accept(p.slots[part.index], part)) this.counters.droppedParts++;
    }
    p.lastAt = now;
    return this.isComplete(p) ? this.finish(key, p) : PENDING;
  }

  /** Copy a part into its slot; false when it does not fit or overlaps what is already there. */
  private accept(slot: Slot | undefined, part: ValuePart): boolean {
    if (slot === undefined) return false;
    const start = part.offset;
    const end = start + part.data.length;
    if (part.data.length === 0 || end > slot.size) return false;
    const r = slot.ranges;
    // Find the insertion point; ranges are few (a 64 KiB value has at most 52 parts).
    let i = 0;
    while (i < r.length && r[i]! < start) i += 2;
    if (i < r.length && r[i] === start && r[i + 1] === end) return true; // duplicate (retransmission)
    if (i > 0 && r[i - 1]! > start) return false; // overlaps the previous range
    if (i < r.length && r[i]! < end) return false; // overlaps the next range
    slot.buffer ??= new Uint8Array(slot.size);
    slot.buffer.set(part.data, start);
    r.splice(i, 0, start, end);
    slot.received += end - start;
    return true;
  }

  private isComplete(p: Pending): boolean {
    for (const s of p.slots) if (s !== undefined && s.received < s.size) return false;
    return true;
  }

  private finish(key: string, p: Pending): ReassemblyResult {
    this.discard(key, p);
    const values: Value[] = [];
    for (const s of p.slots) {
      if (s === undefined) continue;
      const decoded = decodeValue(s.buffer ?? new Uint8Array(0));
      if (decoded.ok) values.push(decoded.value);
      else this.counters.invalidValues++;
    }
    this.counters.completed++;
    return { status: 'complete', message: withInlineValues(p.message, values), values };
  }
}

function inlineValues(msg: Message): Value[] {
  let list: ValueList | undefined;
  if (msg.kind === 'request' && (msg.request.type === 'put' || msg.request.type === 'update')) list = msg.request.values;
  else if (msg.kind === 'reply') list = msg.reply.values;
  return list?.kind === 'inline' ? list.values : [];
}

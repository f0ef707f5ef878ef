/**
 * Quotas and eviction: what each source may hold, and whose values go when the store is full.
 *
 * Every value is charged to the quota group of the source that put it (its IPv4 address, its
 * link-local IPv6 address, or its IPv6 /64; see routing/source-group.ts) as its packed size plus
 * `valueOverheadBytes`. Every key is charged to one group too: the one that created it, or, once
 * that group's values have left a small key, the group of a value still there.
 *
 * - A value is stored first; then, while its group is over its byte or value quota, the group's
 *   soonest-expiring value is evicted (a source replaces its own values, not others').
 * - A new key is refused when its group already holds `maxKeysPerSource` keys, so one or two
 *   sources cannot take the whole key table.
 * - When the key table is full, a newcomer's key is made room for by evicting the soonest-expiring
 *   values of the group holding the most keys, if that group holds more keys than the newcomer's.
 * - While the whole store is over `maxBytes`/`maxValues`, the soonest-expiring value of the group
 *   using the most bytes is evicted; the node's own values (`LOCAL_SOURCE`) go only once no remote
 *   group is left.
 *
 * This is OpenDHT's policy (largest source first, oldest expiry first) with IPv6 grouped per /64,
 * a memory estimate in place of OpenDHT's payload-only count, and a share of the key table per
 * source, which OpenDHT does not have.
 */
import { ExpiryHeap } from './expiry-heap.js';
import { LOCAL_SOURCE, sourceGroup } from '../routing/source-group.js';
import type { KeyEntry, StoredValue } from './values.js';

export class SourceGroup {
  bytes = 0;
  count = 0;
  /** Keys charged to this group. */
  keys = 0;
  readonly heap = new ExpiryHeap<StoredValue>({ get: (v) => v.groupIndex, set: (v, i) => (v.groupIndex = i) });
  constructor(readonly name: string) {}
}

export interface QuotaLimits {
  maxValues: number;
  maxBytes: number;
  maxKeys: number;
  maxBytesPerSource: number;
  maxValuesPerSource: number;
  maxKeysPerSource: number;
  valueOverheadBytes: number;
}

/** Values evicted at most to make room for one newcomer's key. */
const MAX_EVICTIONS_PER_KEY = 16;

export class Quotas {
  readonly groups = new Map<string, SourceGroup>();
  totalBytes = 0;
  totalValues = 0;
  evicted = 0;
  /** The group holding the most keys, kept up to date as keys are added, rescanned at `tick()`. */
  private keyHolder: SourceGroup | undefined;

  constructor(
    private readonly limits: QuotaLimits,
    /** Takes an evicted value out of the store; true if that emptied and dropped its key. */
    private readonly evict: (v: StoredValue) => boolean,
  ) {}

  costOf(v: StoredValue): number {
    return v.packed.length + this.limits.valueOverheadBytes;
  }

  groupFor(source: string): SourceGroup {
    // An IPv4 source is its own group name (so is a group name): one Map lookup instead of
    // parsing and re-printing the address on every put. No other address string is a group
    // name (IPv6 groups end in /64 or are written in full, without a zone).
    const direct = this.groups.get(source);
    if (direct !== undefined) return direct;
    const name = sourceGroup(source);
    let g = this.groups.get(name);
    if (g === undefined) {
      g = new SourceGroup(name);
      this.groups.set(name, g);
    }
    return g;
  }

  /** Charges a value (new, or edited in place) to `g`. */
  charge(v: StoredValue, g: SourceGroup): void {
    v.group = g;
    const cost = this.costOf(v);
    g.bytes += cost;
    g.count++;
    g.heap.push(v);
    this.totalBytes += cost;
  }

  discharge(v: StoredValue): void {
    const g = v.group;
    const cost = this.costOf(v);
    g.bytes -= cost;
    g.count--;
    g.heap.remove(v);
    this.totalBytes -= cost;
    this.forgetIfUnused(g);
  }

  /** May `g` have one more key? Evicts from the largest key holder when the table is full. */
  admitKey(g: SourceGroup, keysInUse: number): 'ok' | 'source-keys-full' | 'too-many-keys' {
    const answer = this.roomForKey(g, keysInUse);
    if (answer !== 'ok') this.forgetIfUnused(g);
    return answer;
  }

  private roomForKey(g: SourceGroup, keysInUse: number): 'ok' | 'source-keys-full' | 'too-many-keys' {
    if (g.name !== LOCAL_SOURCE && g.keys >= this.limits.maxKeysPerSource) return 'source-keys-full';
    if (keysInUse < this.limits.maxKeys) return 'ok';
    const holder = this.keyHolder;
    if (holder === undefined || holder === g || holder.keys <= g.keys + 1) return 'too-many-keys';
    for (let i = 0; i < MAX_EVICTIONS_PER_KEY; i++) {
      const victim = holder.heap.peek();
      if (victim === undefined) break;
      this.evicted++;
      if (this.evict(victim)) return 'ok';
    }
    return 'too-many-keys';
  }

  /** Groups holding at least one value (a group may hold only keys, through subscriptions). */
  sourcesHoldingValues(): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.count > 0) n++;
    return n;
  }

  /** Charges a new key to `g`. */
  ownKey(entry: KeyEntry, g: SourceGroup): void {
    entry.owner = g;
    g.keys++;
    if (g.name !== LOCAL_SOURCE && g.keys > (this.keyHolder?.keys ?? 0)) this.keyHolder = g;
  }

  /** The key left the store. */
  releaseKey(entry: KeyEntry): void {
    const g = entry.owner;
    if (g === undefined) return;
    entry.owner = undefined;
    g.keys--;
    this.forgetIfUnused(g);
  }

  /**
   * A value left a key that stays: when it was the last one of the key's group there, the key is
   * charged to the group of a value still held. Only small keys are scanned; a big key keeps its
   * group until it empties (a scan per removal would make expiring a full key quadratic).
   */
  valueLeft(entry: KeyEntry, v: StoredValue): void {
    const owner = entry.owner;
    if (owner !== v.group || entry.count === 0 || !entry.small()) return;
    if (entry.some((x) => x.group === owner)) return;
    const next = entry.first()!.group;
    owner.keys--;
    entry.owner = next;
    next.keys++;
    this.forgetIfUnused(owner);
  }

  /** Evicts until `group` and then the whole store are within their limits. */
  enforce(group: SourceGroup): void {
    const { maxBytesPerSource, maxValuesPerSource, maxBytes, maxValues } = this.limits;
    while ((group.bytes > maxBytesPerSource || group.count > maxValuesPerSource) && this.evictFrom(group));
    while (this.totalBytes > maxBytes || this.totalValues > maxValues) {
      const g = this.largestByBytes();
      if (g === undefined || !this.evictFrom(g)) break;
    }
  }

  /** Periodic: find the largest key holder again (removals only ever make the kept one stale). */
  tick(): void {
    let best: SourceGroup | undefined;
    for (const g of this.groups.values()) if (g.name !== LOCAL_SOURCE && (best === undefined || g.keys > best.keys)) best = g;
    this.keyHolder = best;
  }

  private evictFrom(g: SourceGroup): boolean {
    const victim = g.heap.peek();
    if (victim === undefined) return false;
    this.evicted++;
    this.evict(victim);
    return true;
  }

  private largestByBytes(): SourceGroup | undefined {
    let best: SourceGroup | undefined;
    let local: SourceGroup | undefined;
    for (const g of this.groups.values()) {
      if (g.name === LOCAL_SOURCE) local = g;
      else if (best === undefined || g.bytes > best.bytes) best = g;
    }
    return best ?? local;
  }

  private forgetIfUnused(g: SourceGroup): void {
    if (g.count === 0 && g.keys === 0) {
      this.groups.delete(g.name);
      if (this.keyHolder === g) this.keyHolder = undefined;
    }
  }
}

/** Kademlia routing table for one address family (§14.2): buckets of K nodes plus one cached candidate. */
import type { Family, InfoHash } from '../codec/types.js';
import { getBit, infoHashEquals as idEquals, xorCompare } from '../codec/infohash.js';
import { compareIds, hasPrefix, withBit } from './id.js';
import type { Peer } from './peer.js';

/** Nodes per bucket (OpenDHT `TARGET_NODES`). */
export const BUCKET_SIZE = 8;
/** In bootstrap mode buckets shallower than this split even without our own id. */
export const BOOTSTRAP_SPLIT_DEPTH = 6;

export interface Bucket {
  /** First id of the range (its low bits beyond `depth` are zero). */
  prefix: InfoHash;
  depth: number;
  nodes: Peer[];
  /** Replacement candidate heard while the bucket was full. */
  cached: Peer | null;
  /** Last reply from one of its nodes (ms), for bucket maintenance. */
  lastReply: number;
}

export type InsertResult =
  | { kind: 'added' }
  | { kind: 'updated' }
  /** Bucket full: the new node was cached; `ping` (if any) is a dubious node worth checking. */
  | { kind: 'cached'; ping: Peer | null };

const ADDED: InsertResult = { kind: 'added' };
const UPDATED: InsertResult = { kind: 'updated' };

export interface RoutingTableOptions {
  /** Split buckets of depth < 6 too (a bootstrap node meets nodes of the whole id space). */
  bootstrapMode: boolean;
}

export class RoutingTable {
  readonly buckets: Bucket[];
  /** When a node was last added (ms): neighbourhood maintenance runs while the table grows. */
  lastGrowth = 0;
  private count = 0;

  constructor(
    readonly family: Family,
    private readonly ownId: InfoHash,
    private readonly options: RoutingTableOptions,
  ) {
    this.buckets = [{ prefix: new Uint8Array(20), depth: 0, nodes: [], cached: null, lastReply: 0 }];
  }

  get size(): number {
    return this.count;
  }

  /** Index of the bucket whose range holds `id` (buckets are sorted by prefix and tile the space). */
  bucketIndex(id: InfoHash): number {
    let lo = 0;
    let hi = this.buckets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareIds(this.buckets[mid]!.prefix, id) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  bucketOf(id: InfoHash): Bucket {
    return this.buckets[this.bucketIndex(id)]!;
  }

  get(id: InfoHash): Peer | undefined {
    const bucket = this.bucketOf(id);
    for (const node of bucket.nodes) if (idEquals(node.id, id)) return node;
    return undefined;
  }

  /** A node of the table answered one of our requests: its bucket is not stale. */
  noteReply(node: Peer, now: number): void {
    this.bucketOf(node.id).lastReply = now;
  }

  /** Offer a node (never a client, never ourselves: the caller checks). */
  insert(node: Peer, now: number): InsertResult {
    for (;;) {
      const index = this.bucketIndex(node.id);
      const bucket = this.buckets[index]!;
      const nodes = bucket.nodes;
      for (let i = 0; i < nodes.length; i++) {
        if (idEquals(nodes[i]!.id, node.id)) {
          if (nodes[i] !== node) nodes[i] = node;
          if (node.lastReply === now) bucket.lastReply = now;
          return UPDATED;
        }
      }
      if (node.lastReply === now) bucket.lastReply = now;
      if (nodes.length < BUCKET_SIZE) {
        nodes.push(node);
        if (bucket.cached && idEquals(bucket.cached.id, node.id)) bucket.cached = null;
        this.count++;
        this.lastGrowth = now;
        return ADDED;
      }
      // Plain loops rather than find/findIndex with closures: a full bucket is met by every
      // datagram from a node that finds no room.
      let expired = -1;
      let dubious = false;
      let ping: Peer | null = null;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if (expired === -1 && n.isExpired()) expired = i;
        if (!n.isGood(now)) {
          dubious = true;
          if (ping === null && n.pending === 0) ping = n;
        }
      }
      if (expired !== -1) {
        nodes[expired] = node;
        this.lastGrowth = now;
        return ADDED;
      }
      const mine = hasPrefix(this.ownId, bucket.prefix, bucket.depth) || (this.options.bootstrapMode && bucket.depth < BOOTSTRAP_SPLIT_DEPTH);
      if (mine && bucket.depth < 159 && (!dubious || this.buckets.length === 1)) {
        this.split(index);
        continue;
      }
      bucket.cached = node;
      return { kind: 'cached', ping };
    }
  }

  private split(index: number): void {
    const bucket = this.buckets[index]!;
    const depth = bucket.depth + 1;
    const upperPrefix = withBit(bucket.prefix, bucket.depth);
    const lower: Bucket = { prefix: bucket.prefix, depth, nodes: [], cached: null, lastReply: bucket.lastReply };
    const upper: Bucket = { prefix: upperPrefix, depth, nodes: [], cached: null, lastReply: bucket.lastReply };
    for (const node of bucket.nodes) (getBit(node.id, bucket.depth) ? upper : lower).nodes.push(node);
    if (bucket.cached) {
      const side = getBit(bucket.cached.id, bucket.depth) ? upper : lower;
      if (side.nodes.length < BUCKET_SIZE) {
        side.nodes.push(bucket.cached);
        this.count++;
      } else side.cached = bucket.cached;
    }
    this.buckets.splice(index, 1, lower, upper);
  }

  /** Remove a node; its bucket's cached candidate takes the place (returned so it can be pinged). */
  remove(node: Peer): Peer | null {
    const bucket = this.bucketOf(node.id);
    const i = bucket.nodes.indexOf(node);
    if (i === -1) return null;
    bucket.nodes.splice(i, 1);
    this.count--;
    const cached = bucket.cached;
    if (cached) {
      bucket.cached = null;
      bucket.nodes.push(cached);
      this.count++;
    }
    return cached;
  }

  /** Drop expired nodes; returns the promoted cached candidates (to be pinged). */
  sweepExpired(): Peer[] {
    const promoted: Peer[] = [];
    for (const bucket of this.buckets) {
      for (let i = bucket.nodes.length - 1; i >= 0; i--) {
        const node = bucket.nodes[i]!;
        if (!node.isExpired()) continue;
        bucket.nodes.splice(i, 1);
        this.count--;
        if (bucket.cached) {
          promoted.push(bucket.cached);
          bucket.nodes.push(bucket.cached);
          bucket.cached = null;
          this.count++;
        }
      }
    }
    return promoted;
  }

  /**
   * Up to `count` nodes closest to `target`, closest first, among those `accept` keeps. Keeps a
   * small sorted array instead of sorting the whole table: this runs for every find/get reply.
   */
  closest(target: InfoHash, count: number, accept: (node: Peer) => boolean): Peer[] {
    const out: Peer[] = [];
    for (const bucket of this.buckets) {
      for (const node of bucket.nodes) {
        if (!accept(node)) continue;
        insertClosest(out, node, target, count);
      }
    }
    return out;
  }

  /** {@link closest} among the nodes good at `now` (find/get replies): no callback per node. */
  closestGood(target: InfoHash, count: number, now: number): Peer[] {
    const out: Peer[] = [];
    for (const bucket of this.buckets) {
      for (const node of bucket.nodes) {
        if (!node.isGood(now)) continue;
        insertClosest(out, node, target, count);
      }
    }
    return out;
  }

  counts(now: number): { good: number; dubious: number; total: number; buckets: number } {
    let good = 0;
    for (const bucket of this.buckets) for (const node of bucket.nodes) if (node.isGood(now)) good++;
    return { good, dubious: this.count - good, total: this.count, buckets: this.buckets.length };
  }

  /** All nodes (for persistence and status). */
  *nodes(): IterableIterator<Peer> {
    for (const bucket of this.buckets) yield* bucket.nodes;
  }

  hasGoodNode(now: number): boolean {
    for (const bucket of this.buckets) for (const node of bucket.nodes) if (node.isGood(now)) return true;
    return false;
  }
}

/** Puts `node` in its place in `out`, kept sorted by distance to `target` and at most `count` long. */
function insertClosest(out: Peer[], node: Peer, target: InfoHash, count: number): void {
  if (out.length === count && xorCompare(node.id, out[count - 1]!.id, target) >= 0) return;
  let i = out.length;
  if (i === count) i--;
  while (i > 0 && xorCompare(node.id, out[i - 1]!.id, target) < 0) {
    out[i] = out[i - 1]!;
    i--;
  }
  out[i] = node;
}

/** What we know about one remote node on one address family (§14.1). */
import type { Family, InfoHash } from '../codec/types.js';
import { toHex } from '../codec/infohash.js';
import { NODE4_RECORD, NODE6_RECORD, packNodeRecord } from '../codec/nodes.js';

const NO_RECORD = new Uint8Array(0);

/** A node that answered within this long (and was heard recently) is good. */
export const NODE_GOOD_MS = 2 * 60 * 60 * 1000;
/** A node not heard from for this long is no longer good. */
export const NODE_HEARD_MS = 10 * 60 * 1000;
/** More authentication errors (401) than this and the node counts as expired. */
export const MAX_AUTH_ERRORS = 3;

export class Peer {
  /** Last datagram of any kind from it (ms). */
  lastHeard = 0;
  /** Last reply to one of our requests (ms). */
  lastReply = 0;
  /** Every attempt of one of our requests failed; cleared by any later datagram. */
  expired = false;
  authErrors = 0;
  /** Requests of ours it has not answered yet. */
  pending = 0;
  /** Transaction id of our last request to it that timed out (0: none); see liveness.ts. */
  lateTid = 0;
  /** Per-node transaction counter (§4.2); 0 until the first request draws a random start. */
  private tid: number;
  private hexCache: string | undefined = undefined;
  /** The compact record as last packed, and the address and port it was packed from. */
  private packed: Uint8Array | undefined = undefined;
  private packedAddress = '';
  private packedPort = -1;

  /**
   * Cheap to build: a record is made for every datagram from a node the table has no room for,
   * so the hex form and the random tid start are computed only when first needed. `id` is kept
   * as given (decoded ids are copies, never views on a datagram).
   */
  constructor(
    readonly id: InfoHash,
    readonly family: Family,
    public address: string,
    public port: number,
    tidStart = 0,
  ) {
    this.tid = tidStart >>> 0;
  }

  /** The id in lowercase hex (persistence, status, search bookkeeping). */
  get hex(): string {
    if (this.hexCache === undefined) this.hexCache = toHex(this.id);
    return this.hexCache;
  }

  /**
   * Compact node record (§5.1) for find/get replies, which list the same few nodes again and
   * again: packed once, and again only when the node moves. Undefined if it cannot be packed.
   */
  get record(): Uint8Array | undefined {
    if (this.packed === undefined || this.packedAddress !== this.address || this.packedPort !== this.port) {
      const out = new Uint8Array(this.family === 4 ? NODE4_RECORD : NODE6_RECORD);
      this.packed = packNodeRecord(this.family, this, out, 0) ? out : NO_RECORD;
      this.packedAddress = this.address;
      this.packedPort = this.port;
    }
    return this.packed === NO_RECORD ? undefined : this.packed;
  }

  /** Next transaction id for a request to this node (never 0); `random` draws the first start. */
  nextTid(random?: () => number): number {
    if (this.tid === 0 && random !== undefined) this.tid = random() >>> 0;
    this.tid = (this.tid + 1) >>> 0;
    if (this.tid === 0) this.tid = 1;
    return this.tid;
  }

  isExpired(): boolean {
    return this.expired || this.authErrors > MAX_AUTH_ERRORS;
  }

  isGood(now: number): boolean {
    return !this.isExpired() && this.lastReply >= now - NODE_GOOD_MS && this.lastHeard >= now - NODE_HEARD_MS;
  }

  /** Any datagram from the node; `reply` when it answers one of our requests. */
  heard(now: number, reply: boolean): void {
    this.lastHeard = now;
    this.expired = false;
    if (reply) {
      this.lastReply = now;
      this.authErrors = 0;
    }
  }
}

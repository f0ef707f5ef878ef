/**
 * Routing-table liveness (§14.2): what each datagram, reply and timeout says about a node, which
 * nodes enter the tables, and which need a ping. The RPC engine reports events here; it keeps no
 * opinion of its own about nodes.
 */
import { infoHashEquals } from '../codec/infohash.js';
import type { Family, InfoHash, NodeRecord, Reply } from '../codec/types.js';
import { isLoopback, isMartian } from './address-policy.js';
import type { Blacklist } from './blacklist.js';
import { Peer } from './peer.js';
import type { RoutingTable } from './table.js';

export interface LivenessDeps {
  tables: { 4: RoutingTable; 6: RoutingTable };
  blacklist: Blacklist;
  ownId: () => InfoHash;
  now: () => number;
  /** Whether we have a socket of that family (nodes of another family are not offered). */
  hasFamily: (family: Family) => boolean;
}

export class Liveness {
  /** Nodes to ping once the datagram being processed is answered (our reply goes out first). */
  private readonly toPing: Peer[] = [];

  constructor(private readonly deps: LivenessDeps) {}

  /**
   * A datagram from a node: refresh its liveness and offer it to the routing table (clients never
   * enter it). `reply` when it answers one of our requests. Returns the node's record.
   */
  heard(family: Family, id: InfoHash, address: string, port: number, client: boolean, reply: boolean): Peer {
    const table = this.deps.tables[family];
    const now = this.deps.now();
    let peer = table.get(id);
    if (peer) {
      // A node speaking to us directly from a new address has moved.
      if (peer.address !== address || peer.port !== port) {
        peer.address = address;
        peer.port = port;
      }
      peer.heard(now, reply);
      // Already in its bucket: only a reply changes the bucket (what insert would do).
      if (reply && !client) table.noteReply(peer, now);
      return peer;
    }
    // The decoded id is already a copy of its own (no view pinning the datagram).
    peer = new Peer(id, family, address, port);
    peer.heard(now, reply);
    if (!client) this.offer(table, peer, now);
    return peer;
  }

  /**
   * Every attempt of a request to `peer` went unanswered. The tid is kept: on a busy host the
   * reply can be waiting in the socket while the timeout runs first (timers fire before I/O is
   * polled after a stall), and that reply still proves the node alive.
   */
  timedOut(peer: Peer, tid: number): void {
    peer.expired = true;
    peer.lateTid = tid;
  }

  /** Is this reply the answer to the request of that node that timed out last? */
  isLateReply(family: Family, id: InfoHash, tid: number): boolean {
    const peer = this.deps.tables[family].get(id);
    return peer !== undefined && peer.lateTid === tid && tid !== 0;
  }

  /** Whether {@link takePings} has anything (checked per datagram; taking allocates). */
  hasPings(): boolean {
    return this.toPing.length > 0;
  }

  /** Nodes that need a ping, once; the engine sends them after its reply. */
  takePings(): Peer[] {
    return this.toPing.splice(0);
  }

  /** Forget pending pings (the datagram's processing failed). */
  dropPings(): void {
    this.toPing.length = 0;
  }

  /**
   * Node records of a reply, with loopback rewrite and martian/blacklist/self filters (§5.1),
   * offered to the routing tables; returns the ones of the reply's own family (for searches).
   */
  acceptNodes(family: Family, fromAddress: string, reply: Reply): Peer[] {
    const own: Peer[] = [];
    if (reply.nodes4) this.acceptList(4, family, fromAddress, reply.nodes4, family === 4 ? own : null);
    if (reply.nodes6) this.acceptList(6, family, fromAddress, reply.nodes6, family === 6 ? own : null);
    return own;
  }

  /** Offer a node to its routing table; queues whatever needs checking (§14.2). */
  private offer(table: RoutingTable, peer: Peer, now: number): void {
    const result = table.insert(peer, now);
    if (result.kind === 'added') {
      // A node we have never had an answer from is not good yet: ask it once so it can be.
      if (peer.lastReply === 0 && peer.pending === 0 && !this.toPing.includes(peer)) this.toPing.push(peer);
    } else if (result.kind === 'cached' && result.ping && !this.toPing.includes(result.ping)) {
      this.toPing.push(result.ping);
    }
  }

  private acceptList(listFamily: Family, family: Family, fromAddress: string, records: NodeRecord[], out: Peer[] | null): void {
    const table = this.deps.tables[listFamily];
    const now = this.deps.now();
    const ownId = this.deps.ownId();
    for (const record of records) {
      if (infoHashEquals(record.id, ownId)) continue;
      let address = record.address;
      if (listFamily === family && isLoopback(family, address) && !isLoopback(family, fromAddress)) address = fromAddress;
      if (isMartian(listFamily, address, record.port) || this.deps.blacklist.has(address, record.port)) continue;
      let peer = table.get(record.id);
      if (!peer) {
        peer = new Peer(record.id, listFamily, address, record.port);
        if (this.deps.hasFamily(listFamily)) this.offer(table, peer, now);
      }
      out?.push(peer);
    }
  }
}

/**
 * An iterative Kademlia lookup on one address family (§15): up to 14 candidates sorted by
 * distance, at most 4 requests in flight, "synced" once the 8 closest live candidates answered.
 * `find` lookups collect nodes and tokens; `get` lookups also hand over the values or the selected
 * fields (`fileds`, answer to a query with a SELECT part) of each reply.
 */
import { infoHashEquals, xorCompare } from '../codec/infohash.js';
import type { Family, InfoHash, Query, SelectedFields, Value } from '../codec/types.js';
import type { Peer } from '../routing/peer.js';
import type { Engine, Outcome } from '../rpc/engine.js';

export const SEARCH_NODES = 14;
export const SEARCH_IN_FLIGHT = 4;
export const SYNC_NODES = 8;

// biome-ignore lint/suspicious/noConstEnum: used only in this file, so the states compile to plain numbers with no enum object behind them
const enum State {
  New,
  Pending,
  Answered,
  Failed,
}

export interface SearchNode {
  peer: Peer;
  state: State;
  /** Pending past its first retransmission: no longer counted in flight nor waited for. */
  slow?: boolean;
  /** Write token from its find/get reply. */
  token?: Uint8Array;
}

export interface SearchHooks {
  /** Values carried by a get reply. */
  onValues?(values: Value[], from: Peer): void;
  /** Selected fields carried by a get reply (the request's query had a SELECT part). */
  onFields?(fields: SelectedFields, from: Peer): void;
  /** The lookup is synced, or ran out of candidates. Called once. */
  onDone(search: Search): void;
}

export class Search {
  readonly nodes: SearchNode[] = [];
  private inFlight = 0;
  done = false;

  constructor(
    private readonly engine: Engine,
    readonly family: Family,
    readonly target: InfoHash,
    readonly kind: 'find' | 'get',
    private readonly hooks: SearchHooks,
    private readonly query?: Query,
  ) {}

  /** Add a candidate; kept only while among the 14 closest. */
  add(peer: Peer): void {
    if (peer.isExpired() || infoHashEquals(peer.id, this.engine.ownId)) return;
    const nodes = this.nodes;
    let i = nodes.length;
    while (i > 0 && xorCompare(peer.id, nodes[i - 1]!.peer.id, this.target) < 0) i--;
    if (i > 0 && infoHashEquals(nodes[i - 1]!.peer.id, peer.id)) return;
    if (i >= SEARCH_NODES) return;
    nodes.splice(i, 0, { peer, state: State.New });
    // Drop the farthest candidate not waiting for an answer (else the farthest: its answer is
    // still counted when it comes, the list just no longer holds it).
    if (nodes.length > SEARCH_NODES) {
      let j = nodes.length - 1;
      while (j > 0 && nodes[j]!.state === State.Pending) j--;
      nodes.splice(nodes[j]!.state === State.Pending ? nodes.length - 1 : j, 1);
    }
  }

  /** Send requests to new candidates, then check completion. */
  step(): void {
    if (this.done) return;
    for (const node of this.nodes) {
      if (this.inFlight >= SEARCH_IN_FLIGHT) break;
      if (node.state !== State.New) continue;
      this.send(node);
    }
    if (this.isSynced() || (this.inFlight === 0 && !this.nodes.some((n) => n.state === State.New))) this.finish();
  }

  private send(node: SearchNode): void {
    const ownId = this.engine.ownId;
    const request =
      this.kind === 'find'
        ? { type: 'find' as const, id: ownId, target: this.target }
        : { type: 'get' as const, id: ownId, key: this.target, query: this.query };
    const txn = this.engine.request(
      node.peer,
      request,
      (outcome) => this.onOutcome(node, outcome),
      () => this.onSlow(node),
    );
    if (!txn) {
      node.state = State.Failed;
      return;
    }
    node.state = State.Pending;
    this.inFlight++;
  }

  /** Like OpenDHT, a node silent for ~1 s is treated as slow and another one is asked. */
  private onSlow(node: SearchNode): void {
    if (node.slow || node.state !== State.Pending) return;
    node.slow = true;
    this.inFlight--;
    this.step();
  }

  private onOutcome(node: SearchNode, outcome: Outcome): void {
    if (!node.slow) this.inFlight--;
    node.slow = false;
    if (outcome.kind !== 'reply') {
      node.state = State.Failed;
    } else if (!outcome.reply.token) {
      // OpenDHT blacklists a node whose find/get reply has no token (§16.2).
      node.state = State.Failed;
      this.engine.blacklist(outcome.from.address, outcome.from.port);
    } else {
      node.state = State.Answered;
      node.token = outcome.reply.token;
      if (!this.done) {
        for (const peer of outcome.nodes) this.add(peer);
        const values = outcome.reply.values;
        if (values?.kind === 'inline' && values.values.length > 0) this.hooks.onValues?.(values.values, node.peer);
        const fields = outcome.reply.fields;
        if (fields && fields.values.length > 0) this.hooks.onFields?.(fields, node.peer);
      }
    }
    this.step();
  }

  /** The 8 closest candidates still alive have all answered. */
  isSynced(): boolean {
    let seen = 0;
    for (const node of this.nodes) {
      if (node.state === State.Failed || (node.state === State.Pending && node.slow)) continue;
      if (node.state !== State.Answered) return false;
      if (++seen >= SYNC_NODES) return true;
    }
    return seen > 0;
  }

  /** The closest answered nodes that gave a token, closest first. */
  answered(count: number): SearchNode[] {
    const out: SearchNode[] = [];
    for (const node of this.nodes) {
      if (node.state === State.Answered && node.token && out.length < count) out.push(node);
    }
    return out;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.hooks.onDone(this);
  }

  /** Stop without waiting for answers (stop(), timeouts). */
  abort(): void {
    this.finish();
  }
}

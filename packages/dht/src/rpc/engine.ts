/**
 * The network engine: datagrams in (checks of §4.1, rate limits, reassembly, routing-table
 * updates, dispatch to one handler per request type, reply matching) and messages out (requests
 * tracked as transactions with retransmission, replies, errors, value parts).
 */
import { decodeMessage } from '../codec/decode.js';
import { encodeMessage, encodeMessageLent, releaseEncodeBuffer } from '../codec/encode.js';
import { fragmentValues, needsFragmentation, Reassembler, type ReassemblerStats } from '../codec/fragment.js';
import { infoHashEquals, isZeroId } from '../codec/infohash.js';
import type { ErrorBody, Family, InfoHash, LegacyUpdate, Message, Reply, Request, Value, ValueList } from '../codec/types.js';
import type { DhtCounters, Logger } from '../node-types.js';
import { isMartian } from '../routing/address-policy.js';
import { sourceGroup } from '../routing/source-group.js';
import type { Blacklist } from '../routing/blacklist.js';
import { Liveness } from '../routing/liveness.js';
import { Peer } from '../routing/peer.js';
import type { RoutingTable } from '../routing/table.js';
import type { Transport } from '../transport/transport.js';
import type { RateLimiter } from './rate-limiter.js';
import { RecentMessages } from './recent-messages.js';
import { type Transaction, type TransactionOutcome, TransactionTable } from './transactions.js';

/** Where a request came from, handed to its handler. */
export interface RequestContext {
  family: Family;
  address: string;
  port: number;
  tid: number;
  /** The sender as known to the routing table (or a transient record for clients). */
  peer: Peer;
  client: boolean;
}

export type RequestHandler = (ctx: RequestContext, request: Request) => void;

export type Outcome = TransactionOutcome<Reply>;
export type Settle = (outcome: Outcome, txn: Transaction) => void;

export interface EngineOptions {
  ownId: InfoHash;
  networkId: number;
  userAgent: string;
  clientMode: boolean;
  maxDatagramBytes: number;
  maxTransactions: number;
  maxReassemblies: number;
}

export interface EngineDeps {
  transport: Transport;
  tables: { 4: RoutingTable; 6: RoutingTable };
  rateLimiter: RateLimiter | null;
  blacklist: Blacklist;
  counters: DhtCounters;
  now: () => number;
  rng: (n: number) => Uint8Array;
  random: () => number;
  logger?: Logger;
  /** Re-arm the single wake-up task when a transaction has an earlier deadline. */
  wake: (deadline: number) => void;
}

export class Engine {
  readonly transactions: TransactionTable;
  private readonly reassembler: Reassembler;
  private handler: RequestHandler = () => {};
  private readonly liveness: Liveness;
  /** Keeps the shapes of decoded messages alive across memory-reducing GCs (see recent-messages.ts). */
  private readonly recent = new RecentMessages();

  constructor(
    private readonly options: EngineOptions,
    private readonly deps: EngineDeps,
  ) {
    this.transactions = new TransactionTable(deps.random);
    this.reassembler = new Reassembler({ maxPending: options.maxReassemblies }, { clock: { now: deps.now } });
    this.liveness = new Liveness({
      tables: deps.tables,
      blacklist: deps.blacklist,
      ownId: () => this.options.ownId,
      now: deps.now,
      hasFamily: (family) => deps.transport.localPort(family) !== null,
    });
    deps.transport.onDatagram((family, address, port, bytes) => this.receive(family, address, port, bytes));
  }

  get ownId(): InfoHash {
    return this.options.ownId;
  }

  setRequestHandler(handler: RequestHandler): void {
    this.handler = handler;
  }

  // ---------------------------------------------------------------- receiving

  receive(family: Family, address: string, port: number, bytes: Uint8Array): void {
    const { counters } = this.deps;
    counters.received++;
    if (bytes.length > this.options.maxDatagramBytes) {
      counters.dropped.oversize++;
      return;
    }
    if (isMartian(family, address, port)) {
      counters.dropped.martian++;
      return;
    }
    if (this.deps.blacklist.has(address, port)) {
      counters.dropped.blacklisted++;
      return;
    }
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) {
      counters.dropped.malformed++;
      return;
    }
    const msg = decoded.value;
    if (msg.networkId !== this.options.networkId) {
      counters.dropped.netid++;
      return;
    }
    if (msg.kind === 'value-part') {
      const result = this.reassembler.push(`${family}|${address}|${port}`, msg, `${family}|${address}`);
      if (result.status === 'complete') this.dispatch(result.message, family, address, port);
      return;
    }
    const id = this.senderId(msg);
    if (isZeroId(id) || infoHashEquals(id, this.options.ownId)) {
      counters.dropped.selfOrZeroId++;
      return;
    }
    if (msg.kind === 'request') {
      const limiter = this.deps.rateLimiter;
      if (limiter && !limiter.allow(family === 4 ? address : sourceGroup(address), this.deps.now())) {
        counters.dropped.ratelimited++;
        return;
      }
    }
    if (isFragmented(msg)) {
      // A reply is only worth buffering when it answers one of our requests.
      if (msg.kind === 'reply' && !this.transactions.has(msg.tid)) {
        counters.dropped.unmatchedReply++;
        return;
      }
      const result = this.reassembler.push(`${family}|${address}|${port}`, msg, `${family}|${address}`);
      if (result.status === 'complete') this.dispatch(result.message, family, address, port);
      return;
    }
    this.dispatch(msg, family, address, port);
  }

  private senderId(msg: Exclude<Message, { kind: 'value-part' }>): InfoHash {
    switch (msg.kind) {
      case 'request':
        return msg.request.id;
      case 'reply':
        return msg.reply.id;
      case 'error':
        return msg.error.id;
      case 'legacy-update':
        return msg.update.id;
    }
  }

  private dispatch(msg: Message, family: Family, address: string, port: number): void {
    try {
      this.dispatchMessage(msg, family, address, port);
      if (this.liveness.hasPings()) for (const peer of this.liveness.takePings()) this.ping(peer, () => {});
    } catch (err) {
      // A bug (or a throwing listener callback) must not take the socket's event loop down.
      this.liveness.dropPings();
      this.internalError(err, `processing a ${msg.kind}`);
    }
  }

  private dispatchMessage(msg: Message, family: Family, address: string, port: number): void {
    switch (msg.kind) {
      case 'request':
        this.onRequest(msg, family, address, port);
        return;
      case 'reply':
        this.recent.replied(msg);
        this.onReply(msg.tid, msg.reply, family, address, port, msg.client);
        return;
      case 'error':
        this.onError(msg.tid, msg.error, family, address, port, msg.client);
        return;
      case 'legacy-update':
        // We always listen with ve=1; a legacy notification only tells us the sender is alive.
        this.liveness.heard(family, msg.update.id, address, port, msg.client, false);
        return;
      case 'value-part':
        return;
    }
  }

  private onRequest(msg: Message & { kind: 'request' }, family: Family, address: string, port: number): void {
    const request = msg.request;
    countRequest(this.deps.counters.requestsIn, request.type);
    this.recent.request(request.type, msg);
    const peer = this.liveness.heard(family, request.id, address, port, msg.client, false);
    this.handler({ family, address, port, tid: msg.tid, peer, client: msg.client }, request);
  }

  private onReply(tid: number, reply: Reply, family: Family, address: string, port: number, client: boolean): void {
    const txn = this.match(tid, reply.id, family);
    const late = txn === undefined && this.liveness.isLateReply(family, reply.id, tid);
    const peer = this.liveness.heard(family, reply.id, address, port, client, txn !== undefined || late);
    if (!txn) {
      this.deps.counters.dropped.unmatchedReply++;
      return;
    }
    txn.peer = peer;
    this.transactions.finish(txn);
    const nodes = this.liveness.acceptNodes(family, address, reply);
    txn.settle({ kind: 'reply', reply, from: { family, address, port }, nodes });
  }

  private onError(tid: number, error: ErrorBody, family: Family, address: string, port: number, client: boolean): void {
    this.deps.counters.errorsReceived++;
    const txn = this.match(tid, error.id, family);
    const peer = this.liveness.heard(family, error.id, address, port, client, false);
    if (!txn) return;
    if (error.code === 401) peer.authErrors++;
    this.transactions.finish(txn);
    txn.settle({ kind: 'error', code: error.code, message: error.message });
  }

  /**
   * The open transaction an answer refers to: same tid and the node asked; a ping to an address
   * whose id we did not know (bootstrap) is matched by tid alone, as OpenDHT does (a multi-homed
   * host may answer from another address).
   */
  private match(tid: number, id: InfoHash, family: Family): Transaction | undefined {
    const txn = this.transactions.get(tid);
    if (!txn || txn.family !== family) return undefined;
    if (txn.peer) return infoHashEquals(txn.peer.id, id) ? txn : undefined;
    return txn;
  }

  // ---------------------------------------------------------------- sending

  /** A node's first transaction id is random (§4.2): drawn when we first ask it something. */
  private readonly drawTid = (): number => this.randomUint32();

  private randomUint32(): number {
    const b = this.deps.rng(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  private envelope(tid: number): { tid: number; userAgent: string; networkId: number; client: boolean } {
    return { tid, userAgent: this.options.userAgent, networkId: this.options.networkId, client: this.options.clientMode };
  }

  private emit(family: Family, address: string, port: number, bytes: Uint8Array): void {
    this.deps.counters.sent++;
    this.deps.transport.send(family, address, port, bytes);
  }

  /** Encode and send one datagram that is not kept (replies, errors): no copy when the transport can borrow. */
  private emitOnce(family: Family, address: string, port: number, msg: Message): void {
    const transport = this.deps.transport;
    this.deps.counters.sent++;
    if (transport.sendLent === undefined) transport.send(family, address, port, encodeMessage(msg));
    else if (transport.sendLent(family, address, port, encodeMessageLent(msg))) releaseEncodeBuffer();
  }

  /** Datagrams for a message whose values may need fragmenting (§9): main message first, then parts in order. */
  private encodeWithValues(msg: Message, values: Value[] | undefined, setList: (list: ValueList) => void): Uint8Array[] {
    if (!values || !needsFragmentation(values)) return [encodeMessage(msg)];
    const { sizes, parts } = fragmentValues(values);
    setList({ kind: 'fragmented', sizes });
    const out = [encodeMessage(msg)];
    for (const part of parts) {
      out.push(encodeMessage({ kind: 'value-part', tid: msg.tid, networkId: this.options.networkId, client: this.options.clientMode, parts: [part] }));
    }
    return out;
  }

  /** Send a request to a known node, or to an address (`peer` null: bootstrap ping). */
  request(to: Peer | { family: Family; address: string; port: number }, request: Request, settle: Settle, onResend?: () => void): Transaction | null {
    const peer = to instanceof Peer ? to : null;
    const family = to.family;
    const { address, port } = to;
    if (this.deps.transport.localPort(family) === null) return null;
    if (this.transactions.size >= this.options.maxTransactions) {
      this.deps.counters.dropped.transactionsFull++;
      return null;
    }
    let tid = peer ? peer.nextTid(this.drawTid) : this.randomUint32() || 1;
    while (this.transactions.has(tid)) tid = peer ? peer.nextTid(this.drawTid) : this.randomUint32() || 1;
    const msg: Message = { ...this.envelope(tid), kind: 'request', request };
    const inline = 'values' in request && request.values?.kind === 'inline' ? request.values.values : undefined;
    const datagrams = this.encodeWithValues(msg, inline, (list) => {
      msg.request = { ...request, values: list } as Request;
    });
    for (const d of datagrams) this.emit(family, address, port, d);
    const now = this.deps.now();
    const txn = this.transactions.add(
      {
        tid,
        family,
        address,
        port,
        peer,
        datagrams,
        settle: (outcome) => settle(outcome as Outcome, txn),
        onResend,
      },
      now,
    );
    this.deps.wake(txn.deadline);
    return txn;
  }

  /** Ignore an address from now on (§16.2). */
  blacklist(address: string, port: number): void {
    this.deps.blacklist.add(address, port);
  }

  ping(peer: Peer | { family: Family; address: string; port: number }, settle: Settle): Transaction | null {
    return this.request(peer, { type: 'ping', id: this.options.ownId }, settle);
  }

  /** Retransmit due transactions and time out exhausted ones; returns the next deadline. */
  processDeadlines(): number | null {
    const now = this.deps.now();
    const timedOut = this.transactions.expireDue(now, (txn) => {
      this.deps.counters.retransmissions++;
      for (const d of txn.datagrams) this.emit(txn.family, txn.address, txn.port, d);
      txn.onResend?.();
    });
    for (const txn of timedOut) {
      this.deps.counters.timeouts++;
      if (txn.peer) this.liveness.timedOut(txn.peer, txn.tid);
      this.guard(() => txn.settle({ kind: 'timeout' }), 'timeout');
    }
    return this.transactions.nextDeadline();
  }

  reply(ctx: { family: Family; address: string; port: number; tid: number }, reply: Reply): void {
    const { userAgent, networkId, clientMode } = this.options;
    const msg: Message = { tid: ctx.tid, userAgent, networkId, client: clientMode, kind: 'reply', reply };
    if (reply.values?.kind !== 'inline' || !needsFragmentation(reply.values.values)) {
      // The hot path (pong, find/get replies): one datagram, encoded into the shared buffer.
      this.emitOnce(ctx.family, ctx.address, ctx.port, msg);
      return;
    }
    const datagrams = this.encodeWithValues(msg, reply.values.values, (list) => {
      msg.reply = { ...reply, values: list };
    });
    for (const d of datagrams) this.emit(ctx.family, ctx.address, ctx.port, d);
  }

  error(ctx: { family: Family; address: string; port: number; tid: number }, code: number, message: string): void {
    this.deps.counters.errorsSent++;
    const msg: Message = { ...this.envelope(ctx.tid), kind: 'error', error: { id: this.options.ownId, code, message } };
    this.emitOnce(ctx.family, ctx.address, ctx.port, msg);
  }

  /** Legacy listener notification of refreshed/expired ids (`u`, fire and forget). */
  legacyUpdate(ctx: { family: Family; address: string; port: number; tid: number }, update: LegacyUpdate): void {
    const msg: Message = { ...this.envelope(ctx.tid), kind: 'legacy-update', update };
    this.emitOnce(ctx.family, ctx.address, ctx.port, msg);
  }

  /** Count an exception; log the first ones and then one in a thousand (a bug hit per datagram must not flood the log). */
  private internalError(err: unknown, what: string): void {
    const n = ++this.deps.counters.internalErrors;
    if (n <= 10 || n % 1000 === 0) {
      this.deps.logger?.error({ err: String(err), stack: (err as Error)?.stack, what, count: n }, 'internal error');
    }
  }

  /** Run `fn`, counting and logging an exception instead of letting it escape a timer or socket callback. */
  guard(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.internalError(err, what);
    }
  }

  /** Settle every open transaction as timed out (stop). */
  abortAll(): void {
    for (const txn of this.transactions.drain()) this.guard(() => txn.settle({ kind: 'timeout' }), 'abort');
  }

  /** Drop stale reassembly contexts (maintenance tick). */
  sweepReassembly(): void {
    this.reassembler.tick();
  }

  reassemblyStats(): ReassemblerStats {
    return this.reassembler.stats();
  }
}

/** One counter per request type, each named in the code: a load keyed by the type's string was megamorphic. */
function countRequest(c: Record<string, number>, type: Request['type']): void {
  switch (type) {
    case 'ping':
      c.ping = (c.ping ?? 0) + 1;
      return;
    case 'find':
      c.find = (c.find ?? 0) + 1;
      return;
    case 'get':
      c.get = (c.get ?? 0) + 1;
      return;
    case 'put':
      c.put = (c.put ?? 0) + 1;
      return;
    case 'listen':
      c.listen = (c.listen ?? 0) + 1;
      return;
    default:
      c[type] = (c[type] ?? 0) + 1;
  }
}

function isFragmented(msg: Message): boolean {
  let list: ValueList | undefined;
  if (msg.kind === 'request' && (msg.request.type === 'put' || msg.request.type === 'update')) list = msg.request.values;
  else if (msg.kind === 'reply') list = msg.reply.values;
  return list?.kind === 'fragmented';
}

/**
 * The responder: answers Jami's public names with the box, NXDOMAIN for the ones that must fail
 * fast, and forwards or refuses everything else. Every datagram gets an answer or is counted as
 * dropped; a client never waits for an answer that will not come, except a source over its rate.
 */
import type { Clock } from '@lanbox/clock';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { boxAddressesFor, type InterfaceTable } from './addresses.js';
import {
  CLASS_IN,
  RCODE,
  TYPE_A,
  TYPE_AAAA,
  TYPE_ANY,
  decodeQuery,
  decodeUpstreamReply,
  encodeHeaderOnly,
  encodeResponse,
  withId,
  type Query,
  type Rcode,
} from './codec/message.js';
import { DeviceTracker } from './devices.js';
import { JAMI_NAMES, policyOf, type NamePolicy } from './names.js';
import { DEFAULT_OPTIONS, type JamiDnsOptions } from './options.js';
import { SourceRateLimiter } from './rate-limit.js';
import { createUdpTransport } from './transport/udp.js';
import type { DnsTransport, Endpoint, Listening } from './transport/types.js';

export type { Clock };

/** pino's method shape. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JamiDnsComponents {
  /** @default createUdpTransport() (UDP 53, every address) */
  transport?: DnsTransport;
  /** @default os.networkInterfaces */
  interfaces?: () => InterfaceTable;
  /** @default Date */
  clock?: Clock;
  /** @default crypto.randomBytes */
  rng?: (n: number) => Uint8Array;
  logger?: Logger;
}

export interface JamiDnsCounters {
  /** Datagrams received on the server port. */
  received: number;
  /** Jami names answered with the box's addresses (at least one record). */
  answered: number;
  /** Jami names answered NOERROR without records (a type or family the box has no record for). */
  noData: number;
  nxdomain: number;
  refused: number;
  formerr: number;
  notimp: number;
  /** Queries sent to the upstream resolver, and upstream replies relayed to clients. */
  forwarded: number;
  relayed: number;
  /** SERVFAIL sent: upstream silent past the timeout, or the forwarding table full. */
  servfail: number;
  forwardTimeouts: number;
  pendingFull: number;
  /** Datagrams larger than maxQueryBytes (answered FORMERR). */
  tooLarge: number;
  /** Dropped without answer: shorter than a header, responses sent to us, sources over their rate. */
  tooShort: number;
  notAQuery: number;
  rateLimited: number;
  /** Datagrams on the forwarding socket that matched no pending query or came from elsewhere. */
  upstreamIgnored: number;
  /** Devices forgotten because a name's table was full. */
  devicesEvicted: number;
}

export interface NameStatus {
  policy: NamePolicy;
  queries: number;
  /** Distinct source addresses that asked within deviceWindowMs. */
  devicesLastHour: number;
}

export interface JamiDnsStatus {
  /** null until started. */
  listening: Listening | null;
  upstream: string | null;
  names: Record<string, NameStatus>;
  counters: JamiDnsCounters;
  pendingForwards: number;
  trackedSources: number;
}

export interface JamiDns {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Expires forwarded queries (SERVFAIL) and old device entries; call every 250–500 ms. */
  tick(): void;
  status(): JamiDnsStatus;
}

interface Pending {
  query: Query;
  client: Endpoint;
  deadline: number;
}

const newCounters = (): JamiDnsCounters => ({
  received: 0,
  answered: 0,
  noData: 0,
  nxdomain: 0,
  refused: 0,
  formerr: 0,
  notimp: 0,
  forwarded: 0,
  relayed: 0,
  servfail: 0,
  forwardTimeouts: 0,
  pendingFull: 0,
  tooLarge: 0,
  tooShort: 0,
  notAQuery: 0,
  rateLimited: 0,
  upstreamIgnored: 0,
  devicesEvicted: 0,
});

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function createJamiDns(options: Partial<JamiDnsOptions> = {}, components: JamiDnsComponents = {}): JamiDns {
  const opts: JamiDnsOptions = { ...DEFAULT_OPTIONS, ...options };
  const transport = components.transport ?? createUdpTransport();
  const readInterfaces = components.interfaces ?? (() => networkInterfaces() as InterfaceTable);
  const clock = components.clock ?? Date;
  const rng = components.rng ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const upstream: Endpoint | null =
    opts.upstream === null ? null : { address: opts.upstream.host, port: opts.upstream.port, family: opts.upstream.host.includes(':') ? 6 : 4 };

  const counters = newCounters();
  const queriesByName = new Map<string, number>(Object.keys(JAMI_NAMES).map((n) => [n, 0]));
  const devices = new DeviceTracker(opts.deviceWindowMs, opts.maxDevicesPerName);
  const limiter = new SourceRateLimiter(opts.queriesPerSecond, opts.queryBurst, opts.maxSources);
  const pending = new Map<number, Pending>();
  let listening: Listening | null = null;
  let cached: { at: number; table: InterfaceTable } | null = null;

  const interfaces = (now: number): InterfaceTable => {
    if (cached === null || now - cached.at >= opts.interfaceCacheMs || now < cached.at) {
      cached = { at: now, table: readInterfaces() };
    }
    return cached.table;
  };

  const respond = (query: Query, to: Endpoint, rcode: Rcode, authoritative: boolean, addresses?: { a: string[]; aaaa: string[] }) => {
    if (rcode === RCODE.NXDOMAIN) counters.nxdomain++;
    else if (rcode === RCODE.REFUSED) counters.refused++;
    else if (rcode === RCODE.SERVFAIL) counters.servfail++;
    else if (rcode === RCODE.NOTIMP) counters.notimp++;
    else if (rcode === RCODE.NOERROR) {
      if ((addresses?.a.length ?? 0) + (addresses?.aaaa.length ?? 0) > 0) counters.answered++;
      else counters.noData++;
    }
    transport.reply(encodeResponse(query, { rcode, authoritative, ttl: opts.ttlSeconds, ...(addresses ? { addresses } : {}) }), to);
  };

  const forward = (query: Query, bytes: Uint8Array, from: Endpoint, now: number) => {
    if (upstream === null) return;
    if (pending.size >= opts.maxPendingForwards) {
      counters.pendingFull++;
      respond(query, from, RCODE.SERVFAIL, false);
      return;
    }
    // A fresh random id per forwarded query: the upstream reply is matched on it (and on source
    // and question), so an off-path host cannot easily slip in an answer.
    for (let attempt = 0; attempt < 8; attempt++) {
      const r = rng(2);
      const id = ((r[0] ?? 0) << 8) | (r[1] ?? 0);
      if (pending.has(id)) continue;
      pending.set(id, { query, client: from, deadline: now + opts.forwardTimeoutMs });
      counters.forwarded++;
      transport.forward(withId(bytes, id), upstream);
      return;
    }
    counters.pendingFull++;
    respond(query, from, RCODE.SERVFAIL, false);
  };

  const answerBox = (query: Query, from: Endpoint, now: number) => {
    const wantA = query.type === TYPE_A || query.type === TYPE_ANY;
    const wantAAAA = query.type === TYPE_AAAA || query.type === TYPE_ANY;
    let a: string[] = [];
    let aaaa: string[] = [];
    if (opts.fixedAddress !== null) {
      (opts.fixedAddress.includes(':') ? aaaa : a).push(opts.fixedAddress);
    } else {
      const found = boxAddressesFor(from.address, interfaces(now));
      a = found.a;
      aaaa = found.aaaa;
    }
    respond(query, from, RCODE.NOERROR, true, { a: wantA ? a : [], aaaa: wantAAAA ? aaaa : [] });
  };

  const onQuery = (bytes: Uint8Array, from: Endpoint) => {
    counters.received++;
    const now = clock.now();
    if (!limiter.take(from.address, now)) {
      counters.rateLimited++;
      return;
    }
    const decoded = decodeQuery(bytes, opts.maxQueryBytes);
    if (!decoded.ok) {
      const e = decoded.error;
      if (e.kind === 'too-short') counters.tooShort++;
      else if (e.kind === 'not-a-query') counters.notAQuery++;
      else {
        if (e.kind === 'too-large') counters.tooLarge++;
        counters.formerr++;
        transport.reply(encodeHeaderOnly(e.id, e.opcode, RCODE.FORMERR), from);
      }
      return;
    }
    const query = decoded.value;
    if (query.opcode !== 0) {
      respond(query, from, RCODE.NOTIMP, false);
      return;
    }
    const policy = policyOf(query.name);
    if (policy !== undefined) {
      queriesByName.set(query.name, (queriesByName.get(query.name) ?? 0) + 1);
      devices.record(query.name, from.address, now);
      counters.devicesEvicted = devices.evicted;
    }
    if (policy === 'box' && query.qclass === CLASS_IN) answerBox(query, from, now);
    else if (policy === 'nxdomain') respond(query, from, RCODE.NXDOMAIN, true);
    else if (policy === 'upstream-or-nxdomain' && upstream === null) respond(query, from, RCODE.NXDOMAIN, true);
    else if (policy === 'box') respond(query, from, RCODE.REFUSED, false);
    else if (upstream !== null) forward(query, bytes, from, now);
    // Not ours and nowhere to send it: REFUSED, the answer of a server that is not recursive.
    // A stub resolver moves to its next server at once (or fails at once if there is none).
    else respond(query, from, RCODE.REFUSED, false);
  };

  const onUpstream = (bytes: Uint8Array, from: Endpoint) => {
    if (upstream === null || from.port !== upstream.port || !sameAddress(from.address, upstream.address)) {
      counters.upstreamIgnored++;
      return;
    }
    const reply = decodeUpstreamReply(bytes, opts.maxReplyBytes);
    const p = reply.ok ? pending.get(reply.value.id) : undefined;
    if (!reply.ok || p === undefined || reply.value.type !== p.query.type || reply.value.qclass !== p.query.qclass || reply.value.name !== p.query.name) {
      counters.upstreamIgnored++;
      return;
    }
    pending.delete(reply.value.id);
    counters.relayed++;
    transport.reply(withId(bytes, p.query.id), p.client);
  };

  return {
    async start() {
      if (listening !== null) return;
      listening = await transport.start({ query: onQuery, upstream: onUpstream });
      components.logger?.info({ listening, upstream: opts.upstream }, 'Jami DNS listening');
    },
    async stop() {
      if (listening === null) return;
      listening = null;
      pending.clear();
      await transport.stop();
    },
    tick() {
      const now = clock.now();
      for (const [id, p] of pending) {
        if (p.deadline > now) continue;
        pending.delete(id);
        counters.forwardTimeouts++;
        respond(p.query, p.client, RCODE.SERVFAIL, false);
      }
      devices.prune(now);
    },
    status() {
      const now = clock.now();
      const names: Record<string, NameStatus> = {};
      for (const [name, policy] of Object.entries(JAMI_NAMES)) {
        names[name] = { policy, queries: queriesByName.get(name) ?? 0, devicesLastHour: devices.count(name, now) };
      }
      return {
        listening,
        upstream: upstream === null ? null : upstream.family === 6 ? `[${upstream.address}]:${upstream.port}` : `${upstream.address}:${upstream.port}`,
        names,
        counters: { ...counters },
        pendingForwards: pending.size,
        trackedSources: limiter.size,
      };
    },
  };
}

/**
 * Registry replication between lanbox boxes. Each box keeps the whole registry; records are
 * self-authenticating (the client's key and signature), so a box checks every record it receives
 * and trusts no other box. Records flow by push (each registration, at once) and by a periodic
 * pull (anti-entropy over digests, see digest.ts). A registration is acknowledged only once every
 * reachable box reserved the name for it; during a split each side goes on registering, and
 * conflict.ts picks the owner when the sides meet again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GateVerdict, NameRecord, RegistrationGate, RegistryAccess, RegistryWriter } from '@lanbox/nameserver';
import {
  decodeBatch,
  decodeBuckets,
  decodeEntries,
  decodeHello,
  decodeKeys,
  decodeReserve,
  decodeTombstone,
  decodeWireRecord,
  parseJson,
  BUCKETS,
  type Tombstone,
  type WireRecord,
} from './codec/wire.js';
import { beats } from './conflict.js';
import { DigestIndex, recordDigest, tombstoneDigest, tombstoneMac } from './digest.js';
import { SourceLimits } from './limits.js';
import { resolveOptions, type ReplicationOptions, type ResolvedOptions } from './options.js';
import type { Conflict, ReplicationState } from './state.js';
import type { PeerAddress, PeerClient } from './transport/client.js';

export const API_PREFIX = '/api/replication/v1';

export interface Clock {
  now(): number;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReplicationComponents {
  /** The name server: replication installs its gate and gets the registry access. */
  registry: { attachReplication(gate: RegistrationGate): RegistryAccess };
  /** Where known boxes, removals and conflicts are kept. */
  state: ReplicationState;
  /** What this box tells the others about itself. */
  self: { webPort(): number | undefined; dhtPort(): number | null };
  client: PeerClient;
  /** @default Date.now */
  clock?: Clock;
  logger?: Logger;
  /** A box answered; `dhtPort` is its DHT, for our DHT to join (one network for the site). */
  onPeer?: (host: string, dhtPort: number) => void;
}

export type PeerState = 'unknown' | 'up' | 'down';

export interface PeerStatus {
  /** Box id (40 hex), null until a configured address answered. */
  readonly id: string | null;
  readonly host: string;
  readonly port: number;
  readonly source: 'configured' | 'discovered' | 'contacted' | 'remembered';
  readonly state: PeerState;
  /** Clock (ms) of the last answer, and of the last completed anti-entropy exchange. */
  readonly lastContact: number | null;
  readonly lastSync: number | null;
  readonly lastError: string | null;
  /** Entries taken from this box (records and removals). */
  readonly received: number;
}

export interface ReplicationCounters {
  recordsReceived: number;
  recordsAccepted: number;
  recordsUnchanged: number;
  /** Records that lost to the record held here (they stay with the box that sent them until it learns the winner). */
  recordsLost: number;
  /** Records refused because they fail verification (key, Jami ID or signature). */
  badRecords: number;
  malformed: number;
  /** Refused for the registry's maxNames. */
  overLimit: number;
  removalsApplied: number;
  /** Removals refused: wrong site key, or none configured here. */
  removalsRefused: number;
  conflictsResolved: number;
  reservationsGranted: number;
  reservationsRefused: number;
  /** Local registrations refused because another box holds or reserved the name. */
  refusedByPeers: number;
  /** Local registrations acknowledged while some known box was unreachable. */
  unconfirmed: number;
  pushesSent: number;
  pushFailures: number;
  syncs: number;
  syncFailures: number;
  /** Requests refused by the per-address budgets (flooding or blocked boxes). */
  throttled: number;
  /** New boxes not tracked because `maxPeers` was reached. */
  peersRefused: number;
}

export interface ReplicationStatus {
  readonly state: 'ok' | 'degraded' | 'down';
  readonly box: string;
  /** Entries in the replicated set (records and removals) and its root digest. */
  readonly entries: number;
  readonly root: string;
  readonly siteKey: boolean;
  readonly peers: readonly PeerStatus[];
  /** Losing records this box had acknowledged, newest first (at most 50 listed). */
  readonly conflicts: readonly Conflict[];
  readonly conflictsLost: number;
  readonly sources: ReadonlyArray<{ address: string; requests: number; throttled: number; badRecords: number; blocked: boolean }>;
  readonly counters: Readonly<ReplicationCounters>;
}

export interface Replication {
  /** Loads the saved state, installs the gate in the name server and indexes the registry. */
  start(): Promise<void>;
  /** Stops syncing and waits for exchanges in flight. */
  stop(): Promise<void>;
  /** Periodic work: due anti-entropy exchanges and retries. Call about once a second. */
  tick(): void;
  /** Serves the box-to-box routes under `/api/replication/v1/`; false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Discovery heard a box. */
  found(host: string, boxId: string, webPort: number): void;
  status(): ReplicationStatus;
  /** Runs an anti-entropy exchange with every known box now (tests and the bench). */
  syncAll(): Promise<void>;
}

interface Peer {
  id: string | null;
  host: string;
  port: number;
  source: PeerStatus['source'];
  state: PeerState;
  lastContact: number | null;
  lastSync: number | null;
  lastError: string | null;
  nextSyncAt: number;
  syncing: Promise<void> | null;
  dhtPort: number | null;
  received: number;
}

interface Reservation {
  addr: string;
  until: number;
}

const zero = (): ReplicationCounters => ({
  recordsReceived: 0,
  recordsAccepted: 0,
  recordsUnchanged: 0,
  recordsLost: 0,
  badRecords: 0,
  malformed: 0,
  overLimit: 0,
  removalsApplied: 0,
  removalsRefused: 0,
  conflictsResolved: 0,
  reservationsGranted: 0,
  reservationsRefused: 0,
  refusedByPeers: 0,
  unconfirmed: 0,
  pushesSent: 0,
  pushFailures: 0,
  syncs: 0,
  syncFailures: 0,
  throttled: 0,
  peersRefused: 0,
});

const MAX_REQUEST_BYTES = 1024 * 1024;
/** Entries fetched and refused, remembered so that each exchange does not fetch them again. */
const MAX_REFUSED = 10_000;

function toWire(r: NameRecord): WireRecord {
  const { name, addr, owner, publickey, signature, registeredAt, origin, confirmed } = r;
  return { name, addr, owner, publickey, signature, registeredAt, ...(origin !== undefined ? { origin } : {}), ...(confirmed !== undefined ? { confirmed } : {}) };
}

function plainAddress(a: string | undefined): string {
  const s = a ?? 'unknown';
  return s.startsWith('::ffff:') ? s.slice(7) : s;
}

export function createReplication(options: ReplicationOptions, components: ReplicationComponents): Replication {
  const opts: ResolvedOptions = resolveOptions(options);
  const self = opts.boxId;
  const clock = components.clock ?? { now: Date.now };
  const { client, state: saved, logger } = components;
  const counters = zero();
  const index = new DigestIndex();
  const tombstones = new Map<string, Tombstone>();
  const reservations = new Map<string, Reservation>();
  const refused = new Map<string, true>();
  const limits = new SourceLimits(opts);
  let conflicts: Conflict[] = [];
  let conflictsLost = 0;
  let access: RegistryAccess | undefined;
  let running = false;
  const inFlight = new Set<Promise<unknown>>();
  let reindexing = false;
  /** The registry could not be read (its store is unavailable): indexed on a later tick. */
  let needsIndex = false;
  const peers: Peer[] = opts.peers.map((p) => newPeer(p.host, p.port, 'configured', null));

  function newPeer(host: string, port: number, source: Peer['source'], id: string | null): Peer {
    return { id, host, port, source, state: 'unknown', lastContact: null, lastSync: null, lastError: null, nextSyncAt: 0, syncing: null, dhtPort: null, received: 0 };
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  const headers = (): Record<string, string> => {
    const port = components.self.webPort();
    return { 'x-lanbox-box': self, ...(port !== undefined ? { 'x-lanbox-port': String(port) } : {}) };
  };

  async function call(peer: PeerAddress, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = opts.requestTimeoutMs): Promise<unknown> {
    const res = await client.request(peer, method, `${API_PREFIX}${path}`, body, headers(), timeoutMs);
    if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status}`);
    return res.body;
  }

  // --- peers -----------------------------------------------------------------------------------

  /** Adds or updates a box heard of; an IPv4 address is preferred to an IPv6 one for the same box. */
  function learn(host: string, port: number, id: string, source: Peer['source']): void {
    if (id === self) return;
    const known = peers.find((p) => p.id === id);
    if (known !== undefined) {
      const betterAddress = known.host.includes(':') && !host.includes(':');
      if (known.source !== 'configured' && (betterAddress || (known.host.includes(':') === host.includes(':') && (known.host !== host || known.port !== port)))) {
        known.host = host;
        known.port = port;
      }
      if (known.state === 'down' && source !== 'remembered') known.nextSyncAt = Math.min(known.nextSyncAt, clock.now());
      return;
    }
    if (peers.some((p) => p.id === null && p.host === host && p.port === port)) return;
    if (peers.length >= opts.maxPeers) {
      counters.peersRefused += 1;
      return;
    }
    peers.push(newPeer(host, port, source, id));
    logger?.info({ box: id, host, port, source }, 'new box');
  }

  function identify(peer: Peer, id: string): boolean {
    if (id === self) {
      // A configured address that is this box: nothing to replicate with.
      peers.splice(peers.indexOf(peer), 1);
      return false;
    }
    if (peer.id === id) return true;
    const twin = peers.find((p) => p !== peer && p.id === id);
    if (twin !== undefined) {
      peer.lastSync = peer.lastSync ?? twin.lastSync;
      peers.splice(peers.indexOf(twin), 1);
    }
    peer.id = id;
    return true;
  }

  function markUp(peer: Peer, dhtPort: number | null): void {
    const now = clock.now();
    const wasUp = peer.state === 'up';
    peer.state = 'up';
    peer.lastContact = now;
    peer.lastError = null;
    if (dhtPort !== null && (!wasUp || dhtPort !== peer.dhtPort)) {
      peer.dhtPort = dhtPort;
      try {
        components.onPeer?.(peer.host, dhtPort);
      } catch (err) {
        logger?.warn({ err: (err as Error).message }, 'onPeer failed');
      }
    }
    if (!wasUp) logger?.info({ box: peer.id, host: peer.host }, 'box reachable');
  }

  function markDown(peer: Peer, err: unknown): void {
    if (peer.state !== 'down') logger?.warn({ box: peer.id, host: peer.host, err: (err as Error).message }, 'box unreachable');
    peer.state = 'down';
    peer.lastError = (err as Error).message ?? String(err);
    peer.nextSyncAt = clock.now() + opts.retryIntervalMs;
  }

  // --- applying what other boxes send ----------------------------------------------------------

  function verifyTombstone(t: Tombstone): boolean {
    if (opts.siteKey === undefined) return false;
    const expected = tombstoneMac(opts.siteKey, t);
    return expected === t.mac;
  }

  function removedBy(r: WireRecord): boolean {
    const t = tombstones.get(`${r.name}/${r.addr}`);
    return t !== undefined && r.registeredAt <= t.removedAt;
  }

  async function saveConflict(lost: WireRecord, winner: WireRecord): Promise<void> {
    const c: Conflict = {
      name: lost.name,
      lost,
      winner: { name: winner.name, addr: winner.addr, origin: winner.origin ?? null, registeredAt: winner.registeredAt, confirmed: winner.confirmed ?? true },
      resolvedAt: clock.now(),
    };
    conflictsLost += 1;
    if (conflicts.length >= opts.maxConflicts) return;
    conflicts = [c, ...conflicts];
    await saved.putConflict(c);
    logger?.warn({ name: lost.name, lostAddr: lost.addr, winnerAddr: winner.addr }, 'name conflict: a registration acknowledged here lost');
  }

  /**
   * Records about to be inserted by this batch, and what the registry held for the batch's names
   * and addresses, read all at once before placing (one read at a time would leave the box idle).
   */
  interface Pending {
    byName: Map<string, WireRecord>;
    byAddr: Map<string, string>;
    stored: Map<string, WireRecord | undefined>;
    storedAddrs: Map<string, string | undefined>;
  }

  async function prefetch(tx: RegistryWriter, records: readonly WireRecord[]): Promise<Pending> {
    const [names, addrs] = await Promise.all([Promise.all(records.map((r) => tx.get(r.name))), Promise.all(records.map((r) => tx.nameOf(r.addr)))]);
    const pending: Pending = { byName: new Map(), byAddr: new Map(), stored: new Map(), storedAddrs: new Map() };
    records.forEach((r, i) => {
      const stored = names[i];
      pending.stored.set(r.name, stored === undefined ? undefined : toWire(stored));
      pending.storedAddrs.set(r.addr, addrs[i]);
    });
    return pending;
  }

  async function holder(tx: RegistryWriter, pending: Pending, name: string): Promise<WireRecord | undefined> {
    if (pending.byName.has(name)) return pending.byName.get(name);
    if (pending.stored.has(name)) return pending.stored.get(name);
    const r = await tx.get(name);
    return r === undefined ? undefined : toWire(r);
  }

  async function addrHolder(tx: RegistryWriter, pending: Pending, addr: string): Promise<string | undefined> {
    if (pending.byAddr.has(addr)) return pending.byAddr.get(addr);
    if (pending.storedAddrs.has(addr)) return pending.storedAddrs.get(addr);
    return tx.nameOf(addr);
  }

  /** Places one verified record under the write lock; losers are removed (and kept if acknowledged here). */
  async function place(tx: RegistryWriter, pending: Pending, r: WireRecord): Promise<'accepted' | 'unchanged' | 'lost' | 'removed' | 'full'> {
    if (removedBy(r)) return 'removed';
    const digest = recordDigest(r);
    const byName = await holder(tx, pending, r.name);
    if (byName !== undefined && recordDigest(byName) === digest) return 'unchanged';
    const rivals: WireRecord[] = [];
    if (byName !== undefined) rivals.push(byName);
    const addrName = await addrHolder(tx, pending, r.addr);
    if (addrName !== undefined && addrName !== r.name) {
      const byAddr = await holder(tx, pending, addrName);
      if (byAddr !== undefined) rivals.push(byAddr);
    }
    const stronger = rivals.find((rival) => !beats(r, rival));
    if (stronger !== undefined) {
      if (r.origin === self) await saveConflict(r, stronger);
      counters.recordsLost += 1;
      if (r.addr !== stronger.addr || r.name !== stronger.name) counters.conflictsResolved += 1;
      return 'lost';
    }
    if (rivals.length === 0 && tx.count() + pending.byName.size >= (access?.maxNames ?? Infinity)) return 'full';
    for (const rival of rivals) {
      if (pending.byName.get(rival.name) === rival) {
        pending.byName.delete(rival.name);
        pending.byAddr.delete(rival.addr);
      } else {
        await tx.remove(rival.name);
      }
      // Stored state changed: later records of this batch must not see the removed one.
      pending.stored.set(rival.name, undefined);
      pending.storedAddrs.set(rival.addr, undefined);
      index.delete(rival.name);
      if (rival.addr !== r.addr || rival.name !== r.name) {
        counters.conflictsResolved += 1;
        if (rival.origin === self) await saveConflict(rival, r);
      }
    }
    pending.byName.set(r.name, r);
    pending.byAddr.set(r.addr, r.name);
    return 'accepted';
  }

  /** Verifies a batch outside the lock, then applies it under the lock in one registry write. */
  async function applyBatch(records: readonly unknown[], removals: readonly unknown[], source: string, peer: Peer | undefined): Promise<{ accepted: number; refused: number; bad: number }> {
    const now = clock.now();
    let bad = 0;
    const goodRecords: WireRecord[] = [];
    const goodRemovals: Tombstone[] = [];
    for (const raw of records) {
      counters.recordsReceived += 1;
      const r = decodeWireRecord(raw);
      if (!r.ok) {
        counters.malformed += 1;
        bad += 1;
      } else if (access?.verify(r.value) !== true) {
        counters.badRecords += 1;
        bad += 1;
      } else goodRecords.push(r.value);
    }
    for (const raw of removals) {
      const t = decodeTombstone(raw);
      if (!t.ok) {
        counters.malformed += 1;
        bad += 1;
      } else if (!verifyTombstone(t.value)) {
        counters.removalsRefused += 1;
        if (opts.siteKey !== undefined) bad += 1;
      } else goodRemovals.push(t.value);
    }
    if (bad > 0 && limits.bad(source, bad, now)) logger?.warn({ source }, 'box blocked: too many records failing verification');
    if (access === undefined || (goodRecords.length === 0 && goodRemovals.length === 0)) return { accepted: 0, refused: records.length + removals.length, bad };
    const a = access;
    let accepted = 0;
    await a.exclusive(async (tx) => {
      for (const t of goodRemovals) {
        const key = `${t.name}/${t.addr}`;
        if (tombstones.get(key)?.mac === t.mac) continue;
        if (tombstones.size >= opts.maxTombstones && !tombstones.has(key)) continue;
        await saved.putTombstone(t);
        tombstones.set(key, t);
        index.set(key, tombstoneDigest(t));
        const current = await tx.get(t.name);
        if (current !== undefined && current.addr === t.addr && current.registeredAt <= t.removedAt) {
          await tx.remove(t.name);
          index.delete(t.name);
        }
        counters.removalsApplied += 1;
        accepted += 1;
      }
      const pending = await prefetch(tx, goodRecords);
      for (const r of goodRecords) {
        const outcome = await place(tx, pending, r);
        if (outcome === 'accepted') accepted += 1;
        else if (outcome === 'unchanged') counters.recordsUnchanged += 1;
        else if (outcome === 'full') counters.overLimit += 1;
        if (outcome === 'lost' || outcome === 'removed' || outcome === 'full') {
          if (refused.size >= MAX_REFUSED) refused.clear();
          refused.set(`${r.name} ${recordDigest(r)}`, true);
        }
      }
      const batch = [...pending.byName.values()];
      if (batch.length > 0) await tx.insert(batch);
      for (const r of batch) {
        index.set(r.name, recordDigest(r));
        const res = reservations.get(r.name);
        if (res?.addr === r.addr) reservations.delete(r.name);
      }
      counters.recordsAccepted += batch.length;
    });
    if (peer !== undefined) peer.received += accepted;
    return { accepted, refused: records.length + removals.length - accepted, bad };
  }

  // --- anti-entropy ----------------------------------------------------------------------------

  /** Copies what differs in one bucket: its entry list, then the entries we lack, a page at a time. */
  async function pullBucket(peer: Peer, b: number): Promise<void> {
    const entries = decodeEntries(await call(peer, 'GET', `/bucket/${b}`), opts.maxBucketEntries);
    if (!entries.ok) throw new Error(`bad bucket answer: ${entries.error}`);
    const want = entries.value.filter(([key, digest]) => index.get(key) !== digest && !refused.has(`${key.split('/')[0]} ${digest}`)).map(([key]) => key);
    for (let i = 0; i < want.length && running; i += opts.pageSize) {
      const answer = decodeBatch(await call(peer, 'POST', '/fetch', { keys: want.slice(i, i + opts.pageSize) }), opts.pageSize * 2);
      if (!answer.ok) throw new Error(`bad fetch answer: ${answer.error}`);
      await applyBatch(answer.value.records, answer.value.tombstones, peer.host, peer);
    }
  }

  /**
   * Anti-entropy with one box: compare the 256 bucket digests, then copy the differing buckets,
   * a few at a time so that the other box's reads, the network and our verification overlap.
   * Whatever was applied stays applied: an interrupted exchange resumes where buckets still differ.
   */
  async function pull(peer: Peer): Promise<void> {
    const buckets = decodeBuckets(await call(peer, 'GET', '/buckets'));
    if (!buckets.ok) throw new Error(`bad buckets answer: ${buckets.error}`);
    const mine = index.bucketDigests();
    const differing = Array.from({ length: BUCKETS }, (_, b) => b).filter((b) => buckets.value[b] !== mine[b]);
    const worker = async (): Promise<void> => {
      for (let b = differing.shift(); b !== undefined && running; b = differing.shift()) await pullBucket(peer, b);
    };
    await Promise.all(Array.from({ length: opts.syncConcurrency }, worker));
  }

  async function sync(peer: Peer): Promise<void> {
    try {
      const hello = decodeHello(await call(peer, 'GET', '/hello'));
      if (!hello.ok) throw new Error(`bad hello: ${hello.error}`);
      if (!identify(peer, hello.value.box)) return;
      markUp(peer, hello.value.dhtPort);
      if (hello.value.root !== index.root() || hello.value.count !== index.size) await pull(peer);
      if (!running) return;
      peer.lastSync = clock.now();
      peer.nextSyncAt = clock.now() + opts.syncIntervalMs;
      counters.syncs += 1;
      if (peer.id !== null) await saved.putPeer({ id: peer.id, host: peer.host, port: peer.port, lastSync: peer.lastSync });
    } catch (err) {
      counters.syncFailures += 1;
      markDown(peer, err);
    }
  }

  function startSync(peer: Peer): Promise<void> {
    if (peer.syncing !== null) return peer.syncing;
    const run = track(sync(peer)).finally(() => {
      peer.syncing = null;
    });
    peer.syncing = run;
    return run;
  }

  /** Never rejects: a registry that cannot be read now is tried again on a later tick. */
  async function reindex(a: RegistryAccess): Promise<void> {
    reindexing = true;
    try {
      await a.exclusive(async () => {
        if (!needsIndex && a.count() === index.size - tombstones.size) return;
        const held = new Map<string, string>();
        for await (const r of a.list()) held.set(r.name, recordDigest(toWire(r)));
        for (const key of [...index.keys()]) if (!key.includes('/') && !held.has(key)) index.delete(key);
        for (const [name, digest] of held) index.set(name, digest);
        if (!needsIndex) logger?.warn({ names: held.size }, 'registry changed outside replication: indexed again');
        needsIndex = false;
      });
    } catch (err) {
      needsIndex = true;
      logger?.warn({ err: (err as Error).message }, 'cannot read the name registry; replication will index it later');
    } finally {
      reindexing = false;
    }
  }

  // --- local registrations ---------------------------------------------------------------------

  function reservedForOther(name: string, addr: string, now: number): boolean {
    const res = reservations.get(name);
    if (res !== undefined && res.until > now && res.addr !== addr) return true;
    for (const [n, r] of reservations) if (r.until > now && r.addr === addr && n !== name) return true;
    return false;
  }

  function prune(now: number): void {
    for (const [n, r] of reservations) if (r.until <= now) reservations.delete(n);
  }

  async function askPeer(peer: Peer, record: WireRecord): Promise<'ok' | 'refused' | 'unreachable'> {
    try {
      const res = await client.request(peer, 'POST', `${API_PREFIX}/reserve`, { record }, headers(), opts.reserveTimeoutMs);
      if (res.status === 200 && typeof res.body === 'object' && res.body !== null) {
        const ok = (res.body as Record<string, unknown>)['ok'];
        if (ok === true) {
          markUp(peer, peer.dhtPort);
          return 'ok';
        }
        if (ok === false) return 'refused';
      }
      throw new Error(`reserve: HTTP ${res.status}`);
    } catch (err) {
      markDown(peer, err);
      return 'unreachable';
    }
  }

  /** Sends to every reachable box at once; resolves when each answered or failed (a failure marks it down). */
  function push(records: WireRecord[], removals: Tombstone[], timeoutMs = opts.requestTimeoutMs): Promise<void> {
    const sends = peers
      .filter((peer) => peer.state !== 'down')
      .map((peer) => {
        counters.pushesSent += 1;
        return track(
          call(peer, 'POST', '/push', { records, tombstones: removals }, timeoutMs).then(
            () => undefined,
            (err: unknown) => {
              counters.pushFailures += 1;
              markDown(peer, err);
            },
          ),
        );
      });
    return Promise.all(sends).then(() => undefined);
  }

  const gate: RegistrationGate = {
    async admit(record): Promise<GateVerdict> {
      const now = clock.now();
      prune(now);
      if (reservedForOther(record.name, record.addr, now)) {
        counters.refusedByPeers += 1;
        return { ok: false };
      }
      reservations.set(record.name, { addr: record.addr, until: now + opts.reservationTtlMs });
      const wire = toWire(record);
      const down = peers.filter((p) => p.state === 'down').length;
      const answers = await Promise.all(peers.filter((p) => p.state !== 'down').map((p) => askPeer(p, wire)));
      if (answers.includes('refused')) {
        reservations.delete(record.name);
        counters.refusedByPeers += 1;
        return { ok: false };
      }
      const confirmed = down === 0 && answers.every((a) => a === 'ok');
      if (!confirmed) counters.unconfirmed += 1;
      return { ok: true, origin: self, confirmed };
    },
    async registered(record) {
      const wire = toWire(record);
      index.set(record.name, recordDigest(wire));
      reservations.delete(record.name);
      // Awaited: a client told "registered" can look the name up at any reachable box at once.
      await push([wire], [], opts.reserveTimeoutMs);
    },
    imported(records) {
      for (const r of records) index.set(r.name, recordDigest(toWire(r)));
    },
    removed(record) {
      index.delete(record.name);
      if (opts.siteKey === undefined) return;
      const body = { name: record.name, addr: record.addr, removedAt: Math.max(clock.now(), record.registeredAt) };
      const t: Tombstone = { ...body, mac: tombstoneMac(opts.siteKey, body) };
      const key = `${t.name}/${t.addr}`;
      tombstones.set(key, t);
      index.set(key, tombstoneDigest(t));
      void track(saved.putTombstone(t)).catch((err: unknown) => logger?.error({ err }, 'could not save a removal'));
      void push([], [t]);
    },
  };

  // --- serving other boxes ---------------------------------------------------------------------

  function reply(res: ServerResponse, status: number, body: unknown): true {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(text);
    return true;
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    const parsed = parseJson(Buffer.concat(chunks).toString('utf8'));
    return parsed.ok ? parsed.value : undefined;
  }

  async function reserve(record: WireRecord): Promise<boolean> {
    const a = access as RegistryAccess;
    const now = clock.now();
    prune(now);
    const byName = await a.get(record.name);
    if (byName !== undefined) return byName.addr === record.addr;
    const held = await a.nameOf(record.addr);
    if (held !== undefined && held !== record.name) return false;
    // Checked again after the reads: nothing else ran in between the check and the reservation.
    if (reservedForOther(record.name, record.addr, clock.now())) return false;
    reservations.set(record.name, { addr: record.addr, until: clock.now() + opts.reservationTtlMs });
    return true;
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, source: string): Promise<true> {
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/hello') {
      return reply(res, 200, { box: self, webPort: components.self.webPort() ?? 0, dhtPort: components.self.dhtPort(), root: index.root(), count: index.size });
    }
    if (method === 'GET' && path === '/buckets') return reply(res, 200, { buckets: index.bucketDigests() });
    const bucket = /^\/bucket\/(\d{1,3})$/.exec(path);
    if (method === 'GET' && bucket !== null) {
      const b = Number(bucket[1]);
      if (b >= BUCKETS) return reply(res, 404, { error: 'no such bucket' });
      return reply(res, 200, { entries: index.entries(b).slice(0, opts.maxBucketEntries) });
    }
    if (method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
    const body = await readJson(req);
    if (body === undefined) return reply(res, 400, { error: 'invalid or too large body' });
    if (path === '/fetch') {
      const keys = decodeKeys(body, opts.pageSize * 2);
      if (!keys.ok) return reply(res, 400, { error: keys.error });
      const a = access as RegistryAccess;
      const records: WireRecord[] = [];
      const removals: Tombstone[] = [];
      // All of a page's reads at once: one at a time, each waits its turn on a busy box's thread pool.
      const read = await Promise.all(keys.value.map((key) => (key.includes('/') ? undefined : a.get(key))));
      keys.value.forEach((key, i) => {
        if (key.includes('/')) {
          const t = tombstones.get(key);
          if (t !== undefined) removals.push(t);
        } else {
          const r = read[i];
          if (r !== undefined) records.push(toWire(r));
        }
      });
      return reply(res, 200, { records, tombstones: removals });
    }
    if (path === '/push') {
      const batch = decodeBatch(body, opts.maxPushRecords);
      if (!batch.ok) return reply(res, 400, { error: batch.error });
      if (!limits.admitRecords(source, batch.value.records.length + batch.value.tombstones.length, clock.now())) {
        counters.throttled += 1;
        return reply(res, 429, { error: 'too many records, slow down' });
      }
      const peer = peers.find((p) => p.id === req.headers['x-lanbox-box']);
      return reply(res, 200, await applyBatch(batch.value.records, batch.value.tombstones, source, peer));
    }
    if (path === '/reserve') {
      const raw = decodeReserve(body);
      const record = raw.ok ? decodeWireRecord(raw.value) : raw;
      if (!record.ok) {
        counters.malformed += 1;
        limits.bad(source, 1, clock.now());
        return reply(res, 400, { error: record.error });
      }
      if (access?.verify(record.value) !== true) {
        counters.badRecords += 1;
        limits.bad(source, 1, clock.now());
        return reply(res, 200, { ok: false, error: 'verification failed' });
      }
      const granted = await reserve(record.value);
      if (granted) counters.reservationsGranted += 1;
      else counters.reservationsRefused += 1;
      return reply(res, 200, { ok: granted });
    }
    return reply(res, 404, { error: 'not found' });
  }

  return {
    async start() {
      for (const t of await saved.tombstones()) {
        tombstones.set(`${t.name}/${t.addr}`, t);
        index.set(`${t.name}/${t.addr}`, tombstoneDigest(t));
      }
      conflicts = (await saved.conflicts()).sort((a, b) => b.resolvedAt - a.resolvedAt);
      conflictsLost = conflicts.length;
      for (const p of await saved.peers()) {
        learn(p.host, p.port, p.id, 'remembered');
        const peer = peers.find((x) => x.id === p.id);
        if (peer !== undefined) peer.lastSync = p.lastSync;
      }
      access = components.registry.attachReplication(gate);
      try {
        for await (const r of access.list()) index.set(r.name, recordDigest(toWire(r)));
      } catch (err) {
        // The registry's store is unavailable (e.g. a full disk): replication starts anyway and
        // indexes the registry once it can be read.
        needsIndex = true;
        logger?.warn({ err: (err as Error).message }, 'cannot read the name registry yet');
      }
      running = true;
    },
    async stop() {
      running = false;
      await Promise.allSettled([...inFlight]);
      client.close();
    },
    tick() {
      if (!running) return;
      const now = clock.now();
      prune(now);
      // The registry changed behind our back (an operator repair restored names from a backup):
      // index it again, so that the other boxes see what it holds now.
      if (access !== undefined && !reindexing && (needsIndex || access.count() !== index.size - tombstones.size)) void track(reindex(access));
      for (const peer of [...peers]) if (peer.syncing === null && peer.nextSyncAt <= now) void startSync(peer);
    },
    async handle(req, res) {
      const url = req.url ?? '';
      if (!url.startsWith(`${API_PREFIX}/`)) return false;
      const source = plainAddress(req.socket.remoteAddress);
      if (!running || access === undefined) return reply(res, 503, { error: 'replication not running' });
      if (!limits.admitRequest(source, clock.now())) {
        counters.throttled += 1;
        return reply(res, 429, { error: 'too many requests' });
      }
      const box = req.headers['x-lanbox-box'];
      const port = Number(req.headers['x-lanbox-port']);
      if (typeof box === 'string' && /^[0-9a-f]{40}$/.test(box) && Number.isInteger(port) && port > 0 && port <= 0xffff) learn(source, port, box, 'contacted');
      return route(req, res, url.slice(API_PREFIX.length).split('?')[0] ?? '', source);
    },
    found(host, boxId, webPort) {
      if (/^[0-9a-f]{40}$/.test(boxId)) learn(host, webPort, boxId, 'discovered');
    },
    status() {
      const now = clock.now();
      const anyDown = peers.some((p) => p.state === 'down');
      return {
        state: !running ? 'down' : anyDown || conflictsLost > 0 ? 'degraded' : 'ok',
        box: self,
        entries: index.size,
        root: index.root(),
        siteKey: opts.siteKey !== undefined,
        peers: peers.map((p) => ({ id: p.id, host: p.host, port: p.port, source: p.source, state: p.state, lastContact: p.lastContact, lastSync: p.lastSync, lastError: p.lastError, received: p.received })),
        conflicts: conflicts.slice(0, 50),
        conflictsLost,
        sources: limits.snapshot(now),
        counters: { ...counters },
      };
    },
    async syncAll() {
      await Promise.all(peers.map((p) => startSync(p)));
    },
  };
}

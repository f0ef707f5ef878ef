/**
 * createDhtNode: wires transport, routing tables, RPC engine, request handlers, storage and the
 * node's own operations, and runs maintenance (§14.3) from one tick.
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { infoHashFromHex, randomId, randomIdWithPrefix, toHex } from './codec/infohash.js';
import type { Family, InfoHash } from './codec/types.js';
import { type ScheduledTask, systemClock, systemScheduler } from '@lanbox/clock';
import type { DhtNode, DhtNodeComponents, DhtNodeOptions, DhtStatus, Resolver } from './node-types.js';
import { USER_AGENT } from './node-types.js';
import { type CachedNode, loadState, saveId, saveRoutingCache, MAX_CACHED_NODES } from './persist/state.js';
import { isMartian } from './routing/address-policy.js';
import { Blacklist } from './routing/blacklist.js';
import { bootstrapNodes } from './routing/bootstrap-list.js';
import { Peer } from './routing/peer.js';
import { RoutingTable } from './routing/table.js';
import { createCounters } from './rpc/counters.js';
import { Engine } from './rpc/engine.js';
import { createRequestHandler } from './rpc/handlers.js';
import { createNotifier } from './rpc/notify.js';
import { RateLimiter } from './rpc/rate-limiter.js';
import { TokenIssuer } from './rpc/tokens.js';
import { Operations } from './search/operations.js';
import { createStorage, type Notification } from './storage/index.js';
import { createDelivery } from './storage/subscriptions.js';
import { createUdpTransport } from './transport/udp.js';

/** Buckets without a reply for this long get a maintenance `find` (§14.3). */
const BUCKET_STALE_MS = 10 * 60_000;
/** Neighbourhood maintenance runs while the table grew within this window. */
const GROWTH_WINDOW_MS = 150_000;
const BOOTSTRAP_FIRST_MS = 10_000;
const BOOTSTRAP_MAX_MS = 24 * 60 * 60_000;
/** Nodes that are no longer good pinged per maintenance run and family. */
const DUBIOUS_PINGS_PER_RUN = 4;
/** The lookup of our own id is repeated this often while connected. */
const SELF_LOOKUP_MS = 10 * 60_000;

const defaultResolver: Resolver = async (host) => {
  const results = await lookup(host, { all: true });
  return results.filter((r) => r.family === 4 || r.family === 6).map((r) => ({ address: r.address, family: r.family as Family }));
};

/**
 * crypto.randomBytes drawn from a 4 KiB pool: transactions take 4 random bytes each (jitter,
 * tids), and one system call per request would show in the per-request CPU cost.
 */
function pooledRandomBytes(): (n: number) => Uint8Array {
  let pool = randomBytes(4096);
  let offset = 0;
  return (n) => {
    if (n > pool.length) return Uint8Array.from(randomBytes(n));
    if (offset + n > pool.length) {
      pool = randomBytes(4096);
      offset = 0;
    }
    const out = Uint8Array.from(pool.subarray(offset, offset + n));
    offset += n;
    return out;
  };
}

export function createDhtNode(options: DhtNodeOptions = {}, components: DhtNodeComponents = {}): DhtNode {
  const clock = components.clock ?? systemClock;
  const scheduler = components.scheduler ?? systemScheduler;
  const rng = components.rng ?? pooledRandomBytes();
  const logger = components.logger;
  const resolver = components.resolver ?? defaultResolver;
  const now = (): number => clock.now();
  const random = (): number => {
    const b = rng(4);
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
  };
  const randomUint32 = (): number => {
    const b = rng(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  };

  const networkId = options.networkId ?? 0;
  const transport = components.transport ?? createUdpTransport({ port: options.port ?? 4222, bind4: options.bind4, bind6: options.bind6 });
  const tickIntervalMs = options.tickIntervalMs ?? 1000;
  const persistIntervalMs = options.persistIntervalMs ?? 5 * 60_000;
  const bootstrapList = bootstrapNodes(options.bootstrap ?? []);
  const rateLimit =
    options.rateLimit === null
      ? null
      : {
          perIp: options.rateLimit?.perIp ?? 1024,
          global: options.rateLimit?.global ?? 8192,
          maxTrackedIps: options.rateLimit?.maxTrackedIps ?? 4096,
        };

  // The id may still change in start() (persisted id): everything holding it reads it from here.
  let ownId: InfoHash = options.id ? infoHashFromHex(options.id) : randomId(rng);

  const counters = createCounters();
  const storage = createStorage(options.storage ?? {}, { clock });
  const blacklist = new Blacklist(options.maxBlacklist ?? 1024);
  const tokens = new TokenIssuer(rng, now());
  const rateLimiter = rateLimit && (rateLimit.perIp >= 0 || rateLimit.global >= 0) ? new RateLimiter(rateLimit) : null;

  let tables: { 4: RoutingTable; 6: RoutingTable };
  let engine: Engine;
  let ops: Operations;
  let started = false;
  let stopped = false;

  let wakeTask: ScheduledTask | null = null;
  let wakeAt = Infinity;
  let tickTask: ScheduledTask | null = null;

  let nextConfirm = 0;
  let nextSweep = 0;
  let nextPersist = 0;
  let bootstrapAt = 0;
  let bootstrapDelay = BOOTSTRAP_FIRST_MS;
  const lastSelfLookup = { 4: -Infinity, 6: -Infinity };
  let cachedNodes: { 4: CachedNode[]; 6: CachedNode[] } = { 4: [], 6: [] };

  function families(): Family[] {
    const out: Family[] = [];
    if (transport.localPort(4) !== null) out.push(4);
    if (transport.localPort(6) !== null) out.push(6);
    return out;
  }

  function wake(deadline: number): void {
    if (stopped || deadline >= wakeAt) return;
    wakeTask?.cancel();
    wakeAt = deadline;
    wakeTask = scheduler.schedule(deadline - now(), onWake);
  }

  function onWake(): void {
    wakeTask = null;
    wakeAt = Infinity;
    processDeadlines();
  }

  function processDeadlines(): void {
    let next: number | null = null;
    engine.guard(() => {
      next = engine.processDeadlines();
    }, 'deadlines');
    if (next !== null) wake(next);
  }

  function build(): void {
    const bootstrapMode = options.bootstrapMode ?? true;
    tables = { 4: new RoutingTable(4, ownId, { bootstrapMode }), 6: new RoutingTable(6, ownId, { bootstrapMode }) };
    engine = new Engine(
      {
        ownId,
        networkId,
        userAgent: USER_AGENT,
        clientMode: options.clientMode ?? false,
        maxDatagramBytes: options.maxDatagramBytes ?? 16384,
        maxTransactions: options.maxTransactions ?? 4096,
        maxReassemblies: options.maxReassemblies ?? 256,
      },
      { transport, tables, rateLimiter, blacklist, counters, now, rng, random, logger, wake },
    );
    const notify = createDelivery(
      createNotifier({ engine, tokens, tables, randomUint32, counters, maxTransactions: options.maxTransactions ?? 4096 }),
      (err) => {
        localListenerErrors++;
        logger?.warn({ err: String(err) }, 'dht: a listen callback threw');
      },
    );
    ops = new Operations({ engine, storage, tables, now, families, notify, randomUint32, scheduler, maxGetIds: Math.max(1, options.maxGetIds ?? 1024) });
    engine.setRequestHandler(
      createRequestHandler({
        engine,
        storage,
        tokens,
        tables,
        now,
        rejectTooFar: options.rejectTooFar ?? false,
        maxGetReplyBytes: Math.max(0, options.maxGetReplyBytes ?? 65_536),
        maxSelectRows: Math.max(1, options.maxSelectRows ?? 1024),
        counters,
        notify,
        onUpdate: (from, request) => ops.onUpdate(from, request),
      }),
    );
    notifyStorage = notify;
  }
  let notifyStorage: (notifications: Notification[]) => void = () => {};
  let localListenerErrors = 0;
  build();

  function connected(t: number): boolean {
    return tables[4].hasGoodNode(t) || tables[6].hasGoodNode(t);
  }

  function bootstrapRound(): void {
    for (const family of families()) {
      for (const cached of cachedNodes[family]) {
        const id = infoHashFromHex(cached.id);
        if (tables[family].get(id)) continue;
        engine.ping(new Peer(id, family, cached.address, cached.port, randomUint32()), () => {});
      }
    }
    for (const parsed of bootstrapList) {
      resolver(parsed.host).then(
        (addresses) => {
          if (stopped) return;
          for (const { address, family } of addresses) {
            if (transport.localPort(family) === null || isMartian(family, address, parsed.port)) continue;
            engine.ping({ family, address, port: parsed.port }, () => {});
          }
        },
        (err: unknown) => logger?.warn({ host: parsed.host, err: String(err) }, 'cannot resolve bootstrap host'),
      );
    }
  }

  /**
   * Ping a few nodes that are no longer good (no reply for 2 h or silent for 10 min). OpenDHT
   * leaves them until a newcomer needs their slot; a bootstrap box lists only good nodes, so it
   * keeps confirming them, and nodes that left get expired and replaced sooner.
   */
  function confirmDubious(family: Family, t: number): boolean {
    let sent = 0;
    for (const peer of tables[family].nodes()) {
      if (sent >= DUBIOUS_PINGS_PER_RUN) break;
      if (peer.pending > 0 || peer.isExpired() || peer.isGood(t)) continue;
      if (engine.ping(peer, () => {})) sent++;
    }
    return sent > 0;
  }

  /** Bucket and neighbourhood maintenance for one family (§14.3); true if something was sent. */
  function maintain(family: Family, t: number): boolean {
    const table = tables[family];
    const want: Family[] | undefined = families().length === 2 ? [4, 6] : undefined;
    for (let i = 0; i < table.buckets.length; i++) {
      const bucket = table.buckets[i]!;
      if (bucket.lastReply >= t - BUCKET_STALE_MS) continue;
      const pool = bucket.nodes.length > 0 ? bucket.nodes : ((table.buckets[i + 1] ?? table.buckets[i - 1])?.nodes ?? []);
      const live = pool.filter((p) => !p.isExpired());
      if (live.length === 0) continue;
      const peer = live[Math.floor(random() * live.length)]!;
      const target = randomIdWithPrefix(bucket.prefix, bucket.depth, rng);
      // Stamp the bucket now so one silent bucket is not asked again at every run.
      bucket.lastReply = t;
      engine.request(peer, { type: 'find', id: ownId, target, want }, () => {});
      return true;
    }
    if (table.lastGrowth >= t - GROWTH_WINDOW_MS && table.size > 0) {
      const target = Uint8Array.from(ownId);
      target[19] = rng(1)[0]!;
      const closest = table.closest(target, 1, (p) => !p.isExpired());
      if (closest[0]) {
        engine.request(closest[0], { type: 'find', id: ownId, target, want }, () => {});
        return true;
      }
    }
    return false;
  }

  function routingCache(): { 4: CachedNode[]; 6: CachedNode[] } {
    const t = now();
    const out: { 4: CachedNode[]; 6: CachedNode[] } = { 4: [], 6: [] };
    for (const family of [4, 6] as const) {
      for (const peer of tables[family].nodes()) {
        if (out[family].length >= MAX_CACHED_NODES) break;
        if (peer.isGood(t)) out[family].push({ id: peer.hex, address: peer.address, port: peer.port });
      }
      // Keep the old cache when we currently know nobody (e.g. stopped while offline).
      if (out[family].length === 0) out[family] = cachedNodes[family];
    }
    return out;
  }

  async function persist(): Promise<void> {
    if (!components.db) return;
    try {
      await saveRoutingCache(components.db, routingCache());
    } catch (err) {
      logger?.warn({ err: String(err) }, 'cannot persist routing cache');
    }
  }

  function tick(): void {
    if (!started || stopped) return;
    const t = now();
    processDeadlines();
    tokens.maybeRotate(t);
    const notifications = storage.tick();
    if (notifications.length > 0) notifyStorage(notifications);
    engine.sweepReassembly();
    ops.tick(t);

    const isConnected = connected(t);
    if (!isConnected) {
      if (t >= bootstrapAt) {
        bootstrapRound();
        bootstrapAt = t + bootstrapDelay;
        bootstrapDelay = Math.min(bootstrapDelay * 2, BOOTSTRAP_MAX_MS);
      }
    } else {
      bootstrapDelay = BOOTSTRAP_FIRST_MS;
      bootstrapAt = t;
    }

    if (t >= nextConfirm) {
      let sent = false;
      for (const family of families()) {
        if (tables[family].hasGoodNode(t) && lastSelfLookup[family] <= t - SELF_LOOKUP_MS) {
          lastSelfLookup[family] = t;
          ops.lookup(family, ownId, 'find', () => {});
          sent = true;
        }
        if (maintain(family, t)) sent = true;
        if (confirmDubious(family, t)) sent = true;
      }
      const soon = sent || !isConnected;
      nextConfirm = t + (soon ? 5000 + random() * 20_000 : 60_000 + random() * 120_000);
    }

    if (t >= nextSweep) {
      nextSweep = t + 120_000 + random() * 240_000;
      for (const family of [4, 6] as const) {
        for (const promoted of tables[family].sweepExpired()) engine.ping(promoted, () => {});
      }
      rateLimiter?.sweep(t);
    }

    if (components.db && t >= nextPersist) {
      nextPersist = t + persistIntervalMs;
      void persist();
    }
  }

  function scheduleTick(): void {
    if (tickIntervalMs <= 0 || stopped) return;
    tickTask = scheduler.schedule(tickIntervalMs, () => {
      engine.guard(tick, 'tick');
      scheduleTick();
    });
  }

  const node: DhtNode = {
    get id() {
      return ownId;
    },
    networkId,
    async start() {
      if (started) return;
      if (components.db) {
        const state = await loadState(components.db);
        if (!options.id && state.id) {
          ownId = infoHashFromHex(state.id);
          build();
        }
        cachedNodes = state.nodes;
        await saveId(components.db, toHex(ownId));
      }
      await transport.bind();
      if (!components.transport) {
        // One family failing (no IPv6 on the box, address in use) is survivable but worth saying.
        if (options.bind4 !== null && transport.localPort(4) === null) logger?.warn({ family: 4 }, 'IPv4 socket not bound');
        if (options.bind6 !== null && transport.localPort(6) === null) logger?.warn({ family: 6 }, 'IPv6 socket not bound');
      }
      started = true;
      const t = now();
      nextConfirm = t + 3000 + random() * 2000;
      nextSweep = t + 120_000 + random() * 240_000;
      nextPersist = t + persistIntervalMs;
      bootstrapAt = t;
      logger?.info({ id: toHex(ownId), port4: transport.localPort(4), port6: transport.localPort(6) }, 'dht node started');
      tick();
      scheduleTick();
    },
    async stop() {
      if (stopped) return;
      if (started) await persist();
      stopped = true;
      tickTask?.cancel();
      wakeTask?.cancel();
      ops.abortAll();
      engine.abortAll();
      await transport.close();
    },
    tick,
    port(family) {
      return transport.localPort(family);
    },
    get(key, getOptions = {}) {
      return ops.get(key, getOptions.query, getOptions.timeoutMs ?? 10_000);
    },
    put(key, value, putOptions = {}) {
      return ops.put(key, value, putOptions.permanent ?? false, putOptions.createdMs);
    },
    cancelPut(key, valueId) {
      ops.cancelPut(key, valueId);
    },
    listen(key, callback, query) {
      return ops.listen(key, callback, query);
    },
    find(target) {
      return ops.find(target);
    },
    ping(family, address, port) {
      return new Promise((resolve) => {
        const txn = engine.ping({ family, address, port }, (outcome) => resolve(outcome.kind === 'reply' ? outcome.reply.id : null));
        if (!txn) resolve(null);
      });
    },
    addNode(family, address, port) {
      if (!started || stopped || isMartian(family, address, port) || transport.localPort(family) === null) return;
      engine.ping({ family, address, port }, () => {});
    },
    status(): DhtStatus {
      const t = now();
      const st = { ...storage.stats(), localListenerErrors };
      const ra = engine.reassemblyStats();
      counters.sendErrors = transport.sendErrors();
      counters.reassembly = {
        completed: ra.completed,
        dropped: ra.timedOut + ra.droppedHeaders + ra.droppedParts + ra.invalidValues,
      };
      return {
        id: toHex(ownId),
        ports: { 4: transport.localPort(4), 6: transport.localPort(6) },
        networkId,
        nodes: { 4: tables[4].counts(t), 6: tables[6].counts(t) },
        storage: st,
        counters,
        transactions: engine.transactions.size,
        searches: ops.activeSearches,
        listens: ops.activeListens,
        blacklisted: blacklist.size,
        bootstrapping: !connected(t),
      };
    },
  };
  return node;
}

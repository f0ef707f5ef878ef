/**
 * The discovery logic: announces the box's DHT node on the LAN, answers queries, and turns
 * other nodes' announcements into DHT contacts and "nearby" lists.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { buildAnnouncements } from './announcement.js';
import {
  DHT_SERVICE,
  JAMI_SERVICE,
  LANBOX_SERVICE,
  decodeBoxService,
  decodeDhtService,
  decodeJamiService,
  decodeMessage,
  encodeQuery,
  type ServiceEntry,
} from './codec/messages.js';
import { DiscoveryError } from './errors.js';
import { interfaceKey, scanInterfaces, withoutScope, type InterfaceScan } from './interfaces.js';
import { NearbyList } from './nearby.js';
import { resolveOptions, type DiscoveryOptions, type ResolvedOptions } from './options.js';
import { SourceRateLimiter, TokenBucket } from './rate-limit.js';
import { RoundSchedule } from './rounds.js';
import { zeroCounters } from './counters.js';
import { createUdpTransport } from './transport/udp.js';
import type { Datagram, DiscoveryTransport, Family, LocalInterface } from './transport/types.js';
import type { Discovery, DiscoveryComponents, DiscoveryStatus, FamilyStatus, NearbyAccount, NearbyNode } from './types.js';

const FAMILIES: readonly Family[] = [4, 6];
const QUERY = encodeQuery();

interface FamilyState {
  open: boolean;
  opening: boolean;
  error?: string;
  lastOpenAttempt: number;
  /** Joined interfaces by interfaceKey. */
  joined: Map<string, LocalInterface>;
  /** Current announcement, undefined when there is nothing to publish. */
  announcement?: Uint8Array;
}

type NodeEntry = Omit<NearbyNode, 'firstSeen' | 'lastSeen' | 'expiresAt'>;
type AccountEntry = Omit<NearbyAccount, 'firstSeen' | 'lastSeen' | 'expiresAt'>;

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function createDiscovery(options: DiscoveryOptions, components: DiscoveryComponents): Discovery {
  const resolved = resolveOptions(options);
  if (resolved.errors.length > 0) throw new DiscoveryError('INVALID_OPTIONS', resolved.errors.join('; '));
  const opts: ResolvedOptions = resolved.options;
  const { dht, box, logger } = components;
  const transport: DiscoveryTransport = components.transport ?? createUdpTransport();
  const clock = components.clock ?? { now: () => Date.now() };
  const rng = components.rng ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const readInterfaces = components.interfaces ?? (() => os.networkInterfaces());
  const groups: Record<Family, string> = { 4: opts.groupIpv4, 6: opts.groupIpv6 };

  let running = false;
  let counters = zeroCounters();
  const families = new Map<Family, FamilyState>(FAMILIES.map((f) => [f, { open: false, opening: false, lastOpenAttempt: -Infinity, joined: new Map() }]));
  let scan: InterfaceScan = { byFamily: new Map(), localAddresses: new Set() };
  const nodes = new NearbyList<NodeEntry>(opts.maxNearbyNodes, opts.nearbyTtlMs);
  const accounts = new NearbyList<AccountEntry>(opts.maxNearbyAccounts, opts.nearbyTtlMs);
  let perSource = new SourceRateLimiter(opts.maxDatagramsPerSourcePerSecond, opts.maxTrackedSources);
  let overall = new TokenBucket(opts.maxDatagramsPerSecond, clock.now());
  let replies = new TokenBucket(opts.maxRepliesPerSecond, clock.now());
  /** Interfaces whose join failed: retried only when the family's interface set changes. */
  const failedJoins = new Map<Family, Set<string>>(FAMILIES.map((f) => [f, new Set()]));
  const lastSignature = new Map<Family, string>();
  const schedule = new RoundSchedule(opts.firstRetryMs, opts.refreshIntervalMs, rng);

  const state = (f: Family): FamilyState => families.get(f) as FamilyState;

  // --- sending -------------------------------------------------------------------------------

  function sendToGroup(family: Family, data: Uint8Array, kind: 'query' | 'announcement'): void {
    for (const iface of state(family).joined.values()) {
      try {
        transport.sendToGroup(family, data, iface);
        if (kind === 'query') counters.queriesSent++;
        else counters.announcementsSent++;
      } catch (err) {
        onTransportError(family, err as Error);
      }
    }
  }

  /** One round: a query (publishers answer by unicast) then our announcement, per family. */
  function round(): void {
    counters.rounds++;
    for (const f of FAMILIES) {
      const s = state(f);
      if (!s.open) continue;
      sendToGroup(f, QUERY, 'query');
      if (s.announcement) sendToGroup(f, s.announcement, 'announcement');
    }
  }

  /** Start (or restart, on an address change) the 4.x-style back-off, then steady rounds. */
  function restartRounds(now: number): void {
    round();
    schedule.restart(now);
  }

  /** Rebuilds each family's announcement from the DHT's current ports; a change is announced. */
  function refreshAnnouncements(announceChanges: boolean): void {
    const built = buildAnnouncements(FAMILIES, dht, box, logger);
    if (built === undefined) return;
    for (const f of FAMILIES) {
      const s = state(f);
      const next = built.get(f);
      if (sameBytes(next, s.announcement)) continue;
      s.announcement = next;
      // Like OpenDHT's startPublish: a changed announcement goes out at once.
      if (announceChanges && next && s.open) sendToGroup(f, next, 'announcement');
    }
  }

  // --- interfaces ----------------------------------------------------------------------------

  /** Joins/leaves to match the interface table; returns the families whose set changed. */
  function syncInterfaces(): Family[] {
    try {
      scan = scanInterfaces(readInterfaces());
    } catch (err) {
      // Keep the previous view: a transient failure must not make us leave every group.
      logger?.warn({ err: (err as Error).message }, 'cannot list network interfaces');
      return [];
    }
    const changed: Family[] = [];
    for (const f of FAMILIES) {
      const s = state(f);
      if (!s.open) continue;
      const wanted = new Map((scan.byFamily.get(f) ?? []).map((i) => [interfaceKey(i), i]));
      let added = false;
      const signature = [...wanted.keys()].join(',');
      if (signature !== lastSignature.get(f)) {
        lastSignature.set(f, signature);
        failedJoins.get(f)?.clear();
      }
      for (const [key, iface] of s.joined) {
        if (wanted.has(key)) continue;
        s.joined.delete(key);
        try {
          transport.leave(f, iface);
        } catch (err) {
          // Expected when the interface or its address is already gone: the kernel dropped it.
          logger?.debug({ family: f, iface: iface.name, err: (err as Error).message }, 'leave failed');
        }
        changed.push(f);
      }
      for (const [key, iface] of wanted) {
        if (s.joined.has(key) || failedJoins.get(f)?.has(key)) continue;
        try {
          transport.join(f, iface);
        } catch (err) {
          // Already a member on this interface (e.g. rejoined after an address change).
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
            counters.joinErrors++;
            failedJoins.get(f)?.add(key);
            logger?.warn({ family: f, iface: iface.name, err: (err as Error).message }, 'cannot join discovery group');
            continue;
          }
        }
        s.joined.set(key, iface);
        added = true;
      }
      if (added && !changed.includes(f)) changed.push(f);
    }
    return changed;
  }

  async function openFamily(f: Family): Promise<boolean> {
    const s = state(f);
    s.opening = true;
    s.lastOpenAttempt = clock.now();
    try {
      await transport.open(f, { port: opts.port, group: groups[f] }, { onDatagram, onError: onTransportError });
      if (!running) {
        // stop() ran while a retry was opening this socket.
        await transport.close(f);
        return false;
      }
      s.open = true;
      delete s.error;
      return true;
    } catch (err) {
      counters.openErrors++;
      s.error = (err as Error).message;
      logger?.warn({ family: f, err: s.error }, 'discovery socket unavailable');
      return false;
    } finally {
      s.opening = false;
    }
  }

  /** Retries a family that failed to open, if the host now has interfaces of it. */
  function retryClosedFamilies(now: number): void {
    for (const f of FAMILIES) {
      const s = state(f);
      if (s.open || s.opening || now - s.lastOpenAttempt < opts.reopenIntervalMs) continue;
      if ((scan.byFamily.get(f) ?? []).length === 0) continue;
      void openFamily(f).then((opened) => {
        if (!opened || !running) return;
        if (syncInterfaces().length > 0) restartRounds(clock.now());
      });
    }
  }

  function onTransportError(family: Family, err: Error): void {
    counters.sendErrors++;
    logger?.warn({ family, err: err.message }, 'discovery socket error');
  }

  // --- receiving -----------------------------------------------------------------------------

  function onDatagram(d: Datagram): void {
    if (!running) return;
    const now = clock.now();
    counters.datagramsReceived++;
    counters.bytesReceived += d.data.length;
    if (d.data.length > opts.maxDatagramBytes) {
      counters.droppedOversize++;
      return;
    }
    if (!perSource.take(withoutScope(d.address), now) || !overall.take(now)) {
      counters.droppedRateLimited++;
      return;
    }
    const msg = decodeMessage(d.data);
    if (!msg.ok) {
      if (msg.error.code === 'malformed') counters.droppedMalformed++;
      else counters.droppedUnexpected++;
      logger?.debug({ from: d.address, err: msg.error }, 'discovery datagram dropped');
      return;
    }
    if (msg.value.type === 'query') onQuery(d, now);
    else onAnnouncement(d, msg.value.services, now);
  }

  function isOwnSource(d: Datagram): boolean {
    return d.port === opts.port && scan.localAddresses.has(withoutScope(d.address));
  }

  function onQuery(d: Datagram, now: number): void {
    counters.queriesReceived++;
    if (isOwnSource(d)) {
      counters.ignoredSelf++;
      return;
    }
    const announcement = state(d.family).announcement;
    if (!announcement) return;
    if (!replies.take(now)) {
      counters.repliesRateLimited++;
      return;
    }
    try {
      transport.sendTo(d.family, announcement, d.address, d.port);
      counters.repliesSent++;
    } catch (err) {
      onTransportError(d.family, err as Error);
    }
  }

  function onAnnouncement(d: Datagram, services: readonly ServiceEntry[], now: number): void {
    counters.announcementsReceived++;
    // Only the first entry per service counts: a crafted map with many `dht` keys must not
    // multiply the work one datagram causes.
    const handled = new Set<string>();
    for (const entry of services) {
      if (handled.has(entry.name)) continue;
      handled.add(entry.name);
      if (entry.name === DHT_SERVICE) onDhtService(d, entry, now);
      else if (entry.name === JAMI_SERVICE) onJamiService(d, entry, now);
      else if (entry.name === LANBOX_SERVICE && box !== undefined) onBoxService(d, entry);
      else counters.unknownServices++;
    }
  }

  function onDhtService(d: Datagram, entry: ServiceEntry, now: number): void {
    const res = decodeDhtService(entry.value);
    if (!res.ok) {
      counters.invalidServices++;
      return;
    }
    const { nodeId, port, networkId } = res.value;
    if (sameBytes(nodeId, dht.nodeId())) {
      counters.ignoredSelf++;
      return;
    }
    if (networkId !== dht.networkId) {
      counters.ignoredOtherNetwork++;
      return;
    }
    const id = toHex(nodeId);
    if (nodes.upsert(`${d.family}/${id}`, { id, family: d.family, address: d.address, port }, now) === 'full') {
      counters.nearbyNodesRefused++;
    }
    // Like OpenDHT, every accepted announcement is handed over; the per-source rate limit bounds it.
    try {
      dht.addNode(d.family, d.address, port);
      counters.nodesHandedToDht++;
    } catch (err) {
      logger?.warn({ err: (err as Error).message }, 'dht.addNode failed');
    }
  }

  function onJamiService(d: Datagram, entry: ServiceEntry, now: number): void {
    const res = decodeJamiService(entry.value);
    if (!res.ok) {
      counters.invalidServices++;
      return;
    }
    const accountId = toHex(res.value.accountId);
    const value: AccountEntry = { accountId, displayName: res.value.displayName, family: d.family, address: d.address };
    if (accounts.upsert(accountId, value, now) === 'full') counters.nearbyAccountsRefused++;
  }

  function onBoxService(d: Datagram, entry: ServiceEntry): void {
    const res = decodeBoxService(entry.value);
    if (!res.ok) {
      counters.invalidServices++;
      return;
    }
    if (sameBytes(res.value.boxId, box?.boxId())) {
      counters.ignoredSelf++;
      return;
    }
    counters.boxesHeard++;
    try {
      box?.found(d.family, d.address, toHex(res.value.boxId), res.value.webPort);
    } catch (err) {
      logger?.warn({ err: (err as Error).message }, 'box.found failed');
    }
  }

  // --- lifecycle -----------------------------------------------------------------------------

  function familyStatus(f: Family): FamilyStatus {
    const s = state(f);
    return {
      open: s.open,
      group: groups[f],
      interfaces: [...s.joined.values()].map((i) => i.name),
      publishing: s.announcement !== undefined,
      ...(s.error !== undefined ? { error: s.error } : {}),
    };
  }

  return {
    async start() {
      if (running) throw new DiscoveryError('ALREADY_STARTED', 'discovery is already running');
      const now = clock.now();
      counters = zeroCounters();
      perSource = new SourceRateLimiter(opts.maxDatagramsPerSourcePerSecond, opts.maxTrackedSources);
      overall = new TokenBucket(opts.maxDatagramsPerSecond, now);
      replies = new TokenBucket(opts.maxRepliesPerSecond, now);
      running = true;
      const opened = await Promise.all(FAMILIES.map((f) => openFamily(f)));
      if (!opened.some(Boolean)) {
        running = false;
        const why = FAMILIES.map((f) => `IPv${f}: ${state(f).error ?? '?'}`).join('; ');
        throw new DiscoveryError('BIND_FAILED', `cannot bind UDP port ${opts.port} (${why})`);
      }
      syncInterfaces();
      refreshAnnouncements(false);
      restartRounds(clock.now());
    },

    async stop() {
      if (!running) return;
      running = false;
      schedule.stop();
      await transport.close();
      for (const f of FAMILIES) {
        const s = state(f);
        s.open = false;
        s.joined.clear();
        delete s.announcement;
        failedJoins.get(f)?.clear();
      }
      lastSignature.clear();
      nodes.clear();
      accounts.clear();
    },

    tick() {
      if (!running) return;
      const now = clock.now();
      const changed = syncInterfaces();
      // When interfaces changed a full round follows, which carries the new announcement.
      refreshAnnouncements(changed.length === 0);
      retryClosedFamilies(now);
      if (changed.length > 0) {
        logger?.info({ families: changed }, 'network interfaces changed; announcing');
        restartRounds(now);
      } else if (schedule.due(now)) {
        round();
        schedule.advance(now);
      }
      counters.nearbyExpired += nodes.expire(now) + accounts.expire(now);
    },

    status(): DiscoveryStatus {
      const joinedSomewhere = FAMILIES.some((f) => state(f).open && state(f).joined.size > 0);
      return {
        state: !running ? 'stopped' : joinedSomewhere ? 'ok' : 'degraded',
        port: opts.port,
        ipv4: familyStatus(4),
        ipv6: familyStatus(6),
        nearbyNodes: nodes.values(),
        nearbyAccounts: accounts.values(),
        counters: { ...counters },
      };
    },

    nearbyNodes: () => nodes.values(),
    nearbyAccounts: () => accounts.values(),
  };
}

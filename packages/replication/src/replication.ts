/**
 * Registry replication between lanbox boxes. Each box keeps the whole registry; records are
 * self-authenticating (the client's key and signature), so a box checks every record it receives
 * and trusts no other box. Records flow by push (each registration, at once: gate.ts) and by a
 * periodic pull (anti-entropy over digests: anti-entropy.ts, digest.ts). A registration is
 * acknowledged only once every reachable box reserved the name for it (reservations.ts); during a
 * split each side goes on registering, and conflict.ts picks the owner when the sides meet again.
 * This file builds the shared context and wires the parts together.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startSync } from './anti-entropy.js';
import { newCounters, track, type ReplicationComponents, type ReplicationContext } from './context.js';
import { DigestIndex, tombstoneDigest } from './digest.js';
import { createGate } from './gate.js';
import { SourceLimits } from './limits.js';
import { resolveOptions, type ReplicationOptions } from './options.js';
import { learn, newPeer } from './peers.js';
import { indexRegistry, reindex } from './registry-index.js';
import { prune } from './reservations.js';
import { handleRequest } from './routes.js';
import { statusOf, type ReplicationStatus } from './status.js';

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

export function createReplication(options: ReplicationOptions, components: ReplicationComponents): Replication {
  const opts = resolveOptions(options);
  const ctx: ReplicationContext = {
    opts,
    self: opts.boxId,
    clock: components.clock ?? { now: Date.now },
    components,
    client: components.client,
    saved: components.state,
    logger: components.logger,
    counters: newCounters(),
    index: new DigestIndex(),
    tombstones: new Map(),
    reservations: new Map(),
    refused: new Map(),
    limits: new SourceLimits(opts),
    peers: opts.peers.map((p) => newPeer(p.host, p.port, 'configured', null)),
    inFlight: new Set(),
    conflicts: [],
    conflictsLost: 0,
    access: undefined,
    running: false,
    reindexing: false,
    needsIndex: false,
  };
  const { saved, peers, index, tombstones } = ctx;

  return {
    async start() {
      for (const t of await saved.tombstones()) {
        tombstones.set(`${t.name}/${t.addr}`, t);
        index.set(`${t.name}/${t.addr}`, tombstoneDigest(t));
      }
      ctx.conflicts = (await saved.conflicts()).sort((a, b) => b.resolvedAt - a.resolvedAt);
      ctx.conflictsLost = ctx.conflicts.length;
      for (const p of await saved.peers()) {
        learn(ctx, p.host, p.port, p.id, 'remembered');
        const peer = peers.find((x) => x.id === p.id);
        if (peer !== undefined) peer.lastSync = p.lastSync;
      }
      ctx.access = components.registry.attachReplication(createGate(ctx));
      await indexRegistry(ctx, ctx.access);
      ctx.running = true;
    },
    async stop() {
      ctx.running = false;
      await Promise.allSettled([...ctx.inFlight]);
      ctx.client.close();
    },
    tick() {
      if (!ctx.running) return;
      const now = ctx.clock.now();
      prune(ctx, now);
      // The registry changed behind our back (an operator repair restored names from a backup):
      // index it again, so that the other boxes see what it holds now.
      const access = ctx.access;
      if (access !== undefined && !ctx.reindexing && (ctx.needsIndex || access.count() !== index.size - tombstones.size)) void track(ctx, reindex(ctx, access));
      for (const peer of [...peers]) if (peer.syncing === null && peer.nextSyncAt <= now) void startSync(ctx, peer);
    },
    handle(req, res) {
      return handleRequest(ctx, req, res);
    },
    found(host, boxId, webPort) {
      if (/^[0-9a-f]{40}$/.test(boxId)) learn(ctx, host, webPort, boxId, 'discovered');
    },
    status() {
      return statusOf(ctx);
    },
    async syncAll() {
      await Promise.all(peers.map((p) => startSync(ctx, p)));
    },
  };
}

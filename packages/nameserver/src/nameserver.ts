import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NameExport } from './codec/export-file.js';
import type { Logger } from './logger.js';
import { NameService, type Clock, type ImportResult } from './logic/name-service.js';
import { resolveOptions, type NameServerOptions } from './options.js';
import { createLevelRegistry, type NameDatabase } from './registry/level-registry.js';
import type { RecentName, Registry, StoreHealth } from './registry/registry.js';
import type { RegistrationGate, RegistryAccess } from './replica.js';
import type { RejectReason } from './stats.js';
import { createHttpHandler } from './transport/http.js';

/** Collaborators of the name server. Give `db` (usual) or a ready-made `registry` (tests of the logic). */
export interface NameServerComponents {
  /** Open abstract-level database with string keys/values; the name server uses its sublevel `nameserver` and never closes it. */
  db?: NameDatabase;
  /** Storage to use instead of the level registry built on `db`. */
  registry?: Registry;
  /** Time source for rate-limit windows and registration times. @default Date.now */
  clock?: Clock;
  logger?: Logger;
}

/** Snapshot for the appliance's `/api/status`. */
export interface NameServerStatus {
  /** `down` before open / after close; `degraded` if the registry is full, a write failed, or stored records are corrupt. */
  readonly state: 'ok' | 'degraded' | 'down';
  readonly names: number;
  readonly maxNames: number;
  readonly lookups: { readonly byName: number; readonly byAddr: number; readonly found: number; readonly notFound: number };
  readonly registrations: {
    readonly accepted: number;
    /** Same name and address registered again (answered 200, nothing written). */
    readonly repeated: number;
    readonly removed: number;
    readonly imported: number;
    /** Registrations and removals waiting for the write lock. */
    readonly pending: number;
  };
  /** Refused requests by reason. */
  readonly rejected: Readonly<Record<RejectReason, number>>;
  /** Registration attempts refused by the per-client rate limit. */
  readonly rateLimited: number;
  /** Clients (IPv4 addresses, IPv6 /64s, link-local addresses) in the rate limiter's table. */
  readonly trackedClients: number;
  /** Rate-limit entries pushed out of the full table to make room for new clients (fewest attempts first). */
  readonly rateLimitEvictions: number;
  /** Stored entries that could not be decoded. */
  readonly corruptRecords: number;
  /** The names store: read-only/down, damage found and what was recovered, last backup. Null for a registry without one. */
  readonly store: StoreHealth | null;
  /** The latest registrations, newest first (a few; see the registry's `recent()`). */
  readonly recent: readonly RecentName[];
}

export interface NameServer {
  /** Answers the request if its path is the name server's (returns true), else leaves it untouched (returns false). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  status(): NameServerStatus;
  /** Every registration, as a JSON-serializable object for `importNames()` on another box. */
  exportNames(): Promise<NameExport>;
  /**
   * Adds the registrations of an export (object or JSON text). Each entry's key and signature are
   * checked again; names or addresses already held here are skipped and listed as conflicts.
   * @throws TypeError if the input is not an export at all.
   */
  importNames(json: unknown): Promise<ImportResult>;
  /** Operator removal: frees the name and its address. Returns false if the name was not registered. */
  removeName(name: string): Promise<boolean>;
  /**
   * Hands registrations and operator removals to a replication module (through `gate`) and gives
   * it access to the registry. Call once, before serving.
   */
  attachReplication(gate: RegistrationGate): RegistryAccess;
  /**
   * Periodic housekeeping: forgets ended rate-limit windows, reopens a store that refused a write
   * once there is room, takes due backups. Call e.g. every 10 s; resolves when done (never rejects).
   */
  tick(): Promise<void>;
  /** Operator repair of the names store (see `Registry.repair`); null if the registry has no store to repair. */
  repair(): Promise<StoreHealth | null>;
  /**
   * Stops answering (503) and waits for writes in progress, then closes the registry if it has
   * `close()` (a durable registry takes a last backup). A `db` given in components stays open.
   */
  close(): Promise<void>;
}

export async function createNameServer(options: NameServerOptions = {}, components: NameServerComponents): Promise<NameServer> {
  const resolved = resolveOptions(options);
  const registry = components.registry ?? (components.db === undefined ? undefined : createLevelRegistry(components.db));
  if (registry === undefined) throw new TypeError('createNameServer needs components.db or components.registry');
  const clock = components.clock ?? { now: Date.now };
  await registry.open();
  const service = new NameService(registry, resolved, clock);
  let state: 'open' | 'closed' = 'open';
  let ticking = false;
  const damage = registry.health?.().damage;
  if (damage != null) components.logger?.error({ damage }, 'the names store was damaged; see the copy and what was recovered');
  if (registry.corrupt() > 0) components.logger?.warn({ corrupt: registry.corrupt() }, 'name registry holds undecodable records');

  const handle = createHttpHandler(service, {
    pathPrefix: resolved.pathPrefix,
    maxBodyBytes: resolved.maxBodyBytes,
    isOpen: () => state === 'open',
    logger: components.logger,
  });

  return {
    handle,
    status() {
      const c = service.counters;
      const names = registry.count();
      const store = registry.health?.() ?? null;
      const unrepaired = store?.damage != null && (store.repairedAt === null || store.damage.detectedAt > store.repairedAt);
      const degraded = service.storageFailed || names >= resolved.maxNames || registry.corrupt() > 0 || (store !== null && store.state !== 'ok') || unrepaired;
      return {
        state: state === 'closed' ? 'down' : degraded ? 'degraded' : 'ok',
        names,
        maxNames: resolved.maxNames,
        lookups: { byName: c.lookupsByName, byAddr: c.lookupsByAddr, found: c.found, notFound: c.notFound },
        registrations: { accepted: c.registered, repeated: c.reregistered, removed: c.removed, imported: c.imported, pending: service.pending },
        rejected: { ...c.rejected },
        rateLimited: c.rateLimited,
        trackedClients: service.trackedClients,
        rateLimitEvictions: service.rateLimitEvictions,
        corruptRecords: registry.corrupt(),
        store,
        recent: registry.recent(),
      };
    },
    exportNames: () => service.exportNames(),
    async importNames(json) {
      const result = await service.importNames(json);
      components.logger?.info({ ...result, conflicts: result.conflicts.length }, 'names imported');
      return result;
    },
    async removeName(name) {
      const removed = await service.removeName(name);
      if (removed) components.logger?.info({ name }, 'name removed by operator');
      return removed;
    },
    attachReplication: (gate) => service.attachReplication(gate),
    async tick() {
      service.tick();
      if (ticking) return;
      ticking = true;
      try {
        await registry.tick?.();
      } catch (error) {
        components.logger?.error({ err: error }, 'names store housekeeping failed');
      } finally {
        ticking = false;
      }
    },
    async repair() {
      if (registry.repair === undefined) return null;
      const health = await service.exclusive(() => registry.repair!());
      components.logger?.warn({ store: health }, 'names store repaired by the operator');
      return health;
    },
    async close() {
      state = 'closed';
      await service.drain();
      await registry.close?.();
    },
  };
}

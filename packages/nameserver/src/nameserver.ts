import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NameExport } from './codec/export-file.js';
import type { Logger } from './logger.js';
import { NameService, type Clock, type ImportResult } from './logic/name-service.js';
import { resolveOptions, type NameServerOptions } from './options.js';
import { createLevelRegistry, type NameDatabase } from './registry/level-registry.js';
import type { RecentName, Registry } from './registry/registry.js';
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
  /** Client IPs in the rate limiter's table. */
  readonly trackedClients: number;
  /** Stored entries that could not be decoded. */
  readonly corruptRecords: number;
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
  /** Periodic housekeeping (forgets ended rate-limit windows); call e.g. once a minute. */
  tick(): void;
  /** Stops answering (503) and waits for writes in progress. The database stays open. */
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
      const degraded = service.storageFailed || names >= resolved.maxNames || registry.corrupt() > 0;
      return {
        state: state === 'closed' ? 'down' : degraded ? 'degraded' : 'ok',
        names,
        maxNames: resolved.maxNames,
        lookups: { byName: c.lookupsByName, byAddr: c.lookupsByAddr, found: c.found, notFound: c.notFound },
        registrations: { accepted: c.registered, repeated: c.reregistered, removed: c.removed, imported: c.imported, pending: service.pending },
        rejected: { ...c.rejected },
        rateLimited: c.rateLimited,
        trackedClients: service.trackedClients,
        corruptRecords: registry.corrupt(),
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
    tick: () => service.tick(),
    async close() {
      state = 'closed';
      await service.drain();
    },
  };
}

/**
 * The appliance's stores under the data dir, one LevelDB per service so that each fails on its
 * own: `dht/` (node id and routing cache) and `names/` (the name registry, with `backups/`).
 * Damaged stores are copied to `damaged/` before they are repaired. The DHT's store is a cache:
 * if it cannot open (full disk, damage beyond repair) the node runs on memory and says so,
 * instead of not starting. A data dir of an older lanbox (one `db/` with sublevels) is moved
 * into the new layout on first start.
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createLevelRegistry,
  durableRegistryIn,
  openLevelStore,
  StoreLockedError,
  type DamageReport,
  type DurableRegistry,
  type StringLevel,
} from '@lanbox/nameserver';
import type { ProxyDb } from '@lanbox/proxy';
import { Level } from 'level';
import type { Logger } from 'pino';

/** The part of abstract-level the DHT uses, with string keys and values. */
export interface StringDb {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

export interface ServiceStoreHealth {
  /** `ok`: on disk; `memory`: the store could not open, so what it holds is not kept across restarts. */
  state: 'ok' | 'memory';
  problem: string | null;
  damage: DamageReport | null;
  /** Writes that failed (the node keeps running; the cache is saved again later). */
  writeFailures: number;
}

export interface Storage {
  readonly dataDir: string;
  /** The DHT's store; never rejects a write (failures are counted). */
  readonly dht: StringDb;
  /** The name registry's store, opened by the name server. */
  readonly names: DurableRegistry;
  /** The DHT proxy's store (subscriptions, permanent puts). */
  readonly proxy: ProxyDb;
  /** Registry replication's store (other boxes, removals, conflicts); null if it cannot open (then kept in memory). */
  readonly replication: StringLevel | null;
  dhtHealth(): ServiceStoreHealth;
  proxyHealth(): ServiceStoreHealth;
  close(): Promise<void>;
}

export class StorageLockedError extends Error {
  readonly code = 'STORAGE_LOCKED';
  constructor(path: string) {
    super(`the data dir database ${path} is in use by another process (is another lanbox running?)`);
    this.name = 'StorageLockedError';
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Moves an older single-database data dir (`db/` with sublevels `dht` and `nameserver`) into the
 * per-service layout. The old directory is renamed `db.migrated`, not deleted.
 */
async function migrateLegacy(dataDir: string, names: DurableRegistry, dht: StringLevel | null, log: Logger): Promise<void> {
  const legacy = join(dataDir, 'db');
  if (!(await exists(legacy))) return;
  const old = new Level<string, string>(legacy, { valueEncoding: 'utf8' });
  try {
    await old.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new StorageLockedError(legacy);
    log.error({ err, path: legacy }, 'the old database cannot be opened; it is left in place and not migrated');
    return;
  }
  try {
    if (dht !== null) {
      for await (const [k, v] of old.sublevel<string, string>('dht', { valueEncoding: 'utf8' }).iterator()) await dht.put(k, v);
    }
    const legacyNames = createLevelRegistry(old as never);
    await legacyNames.open();
    const records = [];
    for await (const r of legacyNames.list()) if ((await names.getByName(r.name)) === undefined) records.push(r);
    await names.insert(records);
    log.info({ names: records.length }, 'migrated the data dir to one store per service');
  } finally {
    await old.close();
  }
  await rename(legacy, `${legacy}.migrated`);
}

/**
 * Opens one service's LevelDB under the data dir. A store that cannot open (full disk, damage
 * beyond repair) yields `null` and a health saying why, so that service runs on memory instead of
 * keeping the box from starting.
 */
async function openServiceStore(dataDir: string, name: string, log: Logger): Promise<{ db: StringLevel | null; health: ServiceStoreHealth }> {
  const health: ServiceStoreHealth = { state: 'ok', problem: null, damage: null, writeFailures: 0 };
  try {
    const opened = await openLevelStore({
      dir: join(dataDir, name),
      damagedDir: join(dataDir, 'damaged'),
      now: Date.now,
      verify: async (db) => {
        for await (const e of db.iterator()) void e;
      },
    });
    health.damage = opened.damage;
    if (opened.damage !== null) log.error({ damage: opened.damage, store: name }, 'a store was damaged');
    return { db: opened.db, health };
  } catch (err) {
    if (err instanceof StoreLockedError) throw new StorageLockedError(err.dir);
    health.state = 'memory';
    health.problem = err instanceof Error ? err.message : String(err);
    log.error({ err, store: name }, 'a store cannot be opened; its service runs without persistence');
    return { db: null, health };
  }
}

/**
 * The DHT proxy's store (subscriptions and permanent puts): writes are synced before the proxy
 * answers, so an acknowledged subscription survives a power cut; a failed write rejects, and the
 * proxy answers with an error instead of acknowledging.
 */
function proxyStore(db: StringLevel | null, health: ServiceStoreHealth): ProxyDb {
  const memory = new Map<string, string>();
  const counted = async (write: () => Promise<void>) => {
    try {
      await write();
    } catch (err) {
      health.writeFailures += 1;
      throw err;
    }
  };
  return {
    put: (key, value) => {
      if (db !== null) return counted(() => db.put(key, value, { sync: true }));
      memory.set(key, value);
      return Promise.resolve();
    },
    del: (key) => {
      if (db !== null) return counted(() => db.del(key, { sync: true }));
      memory.delete(key);
      return Promise.resolve();
    },
    iterator: () =>
      db === null
        ? (async function* () {
            yield* memory.entries();
          })()
        : db.iterator(),
  };
}

export async function openStorage(dataDir: string, log: Logger): Promise<Storage> {
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  const memory = new Map<string, string>();
  const opened = await openServiceStore(dataDir, 'dht', log);
  let dhtDb = opened.db;
  const dhtHealth = opened.health;
  const proxyOpened = await openServiceStore(dataDir, 'proxy', log);
  let proxyDb = proxyOpened.db;
  let replicationDb = (await openServiceStore(dataDir, 'replication', log)).db;
  const names = durableRegistryIn(dataDir);
  if (await exists(join(dataDir, 'db'))) {
    await names.open();
    await migrateLegacy(dataDir, names, dhtDb, log);
  }
  const dht: StringDb = {
    async get(key) {
      if (dhtDb === null) return memory.get(key);
      try {
        return await dhtDb.get(key);
      } catch {
        return memory.get(key);
      }
    },
    async put(key, value) {
      memory.set(key, value);
      if (dhtDb === null) return;
      try {
        await dhtDb.put(key, value);
      } catch (err) {
        dhtHealth.writeFailures += 1;
        log.warn({ err }, 'DHT store write failed');
      }
    },
  };
  return {
    dataDir,
    dht,
    names,
    proxy: proxyStore(proxyDb, proxyOpened.health),
    replication: replicationDb,
    dhtHealth: () => ({ ...dhtHealth }),
    proxyHealth: () => ({ ...proxyOpened.health }),
    async close() {
      await dhtDb?.close();
      dhtDb = null;
      await proxyDb?.close();
      proxyDb = null;
      await replicationDb?.close();
      replicationDb = null;
      await names.close();
    },
  };
}

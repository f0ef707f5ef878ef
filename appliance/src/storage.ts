/**
 * The appliance's stores under the data dir, one LevelDB per service so that each fails on its
 * own: `dht/` (node id and routing cache) and `names/` (the name registry, with `backups/`).
 * Damaged stores are copied to `damaged/` before they are repaired. The DHT's store is a cache:
 * if it cannot open (full disk, damage beyond repair) the node runs on memory and says so,
 * instead of not starting. A data dir of an older lanbox (one `db/` with sublevels) is moved
 * into the new layout on first start. `proxy/` holds the DHT proxy's push subscriptions and
 * permanent puts; if it cannot open, the proxy runs without persistence and says so.
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
import { Level } from 'level';
import type { Logger } from 'pino';

/** The part of abstract-level the DHT uses, with string keys and values. */
export interface StringDb {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

export interface DhtStoreHealth {
  /** `ok`: on disk; `memory`: the store could not open, node id and routing cache are not kept across restarts. */
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
  dhtHealth(): DhtStoreHealth;
  /** The DHT proxy's store (subscriptions, permanent puts), or null when it could not open. */
  readonly proxy: StringLevel | null;
  /** Why the proxy's store could not open, or null. */
  readonly proxyProblem: string | null;
  close(): Promise<void>;
}

export class StorageLockedError extends Error {
  readonly code = 'STORAGE_LOCKED';
  constructor(path: string) {
    super(`the data dir database ${path} is in use by another process (is another lanbox running?)`);
    this.name = 'StorageLockedError';
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

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

export async function openStorage(dataDir: string, log: Logger): Promise<Storage> {
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  const now = Date.now;
  let dhtDb: StringLevel | null = null;
  const dhtHealth: DhtStoreHealth = { state: 'ok', problem: null, damage: null, writeFailures: 0 };
  const memory = new Map<string, string>();
  try {
    const opened = await openLevelStore({ dir: join(dataDir, 'dht'), damagedDir: join(dataDir, 'damaged'), now, verify: async (db) => { for await (const e of db.iterator()) void e; } });
    dhtDb = opened.db;
    dhtHealth.damage = opened.damage;
    if (opened.damage !== null) log.error({ damage: opened.damage }, 'the DHT store was damaged');
  } catch (err) {
    if (err instanceof StoreLockedError) throw new StorageLockedError(err.dir);
    dhtHealth.state = 'memory';
    dhtHealth.problem = err instanceof Error ? err.message : String(err);
    log.error({ err }, 'the DHT store cannot be opened; the node runs without persistence');
  }
  let proxyDb: StringLevel | null = null;
  let proxyProblem: string | null = null;
  try {
    const opened = await openLevelStore({ dir: join(dataDir, 'proxy'), damagedDir: join(dataDir, 'damaged'), now, verify: async (db) => { for await (const e of db.iterator()) void e; } });
    proxyDb = opened.db;
    if (opened.damage !== null) log.error({ damage: opened.damage }, 'the DHT proxy store was damaged');
  } catch (err) {
    if (err instanceof StoreLockedError) {
      await dhtDb?.close();
      throw new StorageLockedError(err.dir);
    }
    proxyProblem = err instanceof Error ? err.message : String(err);
    log.error({ err }, 'the DHT proxy store cannot be opened; subscriptions will not survive a restart');
  }
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
    dhtHealth: () => ({ ...dhtHealth }),
    proxy: proxyDb,
    proxyProblem,
    async close() {
      await dhtDb?.close();
      dhtDb = null;
      await proxyDb?.close();
      proxyDb = null;
      await names.close();
    },
  };
}

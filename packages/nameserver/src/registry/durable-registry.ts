/**
 * The registry as the box runs it: its own LevelDB directory, opened so that damage is repaired
 * (after a copy is kept) and names the store lost are restored from the last verified backup,
 * and written so that nothing is acknowledged that a restart could lose.
 *
 * Why a failed write puts the store read-only until it is reopened: when LevelDB fails to append
 * to its log (a full disk), the log keeps a torn record; every later write, even synced and
 * acknowledged, lands behind the tear, and the next open drops everything after it ("checksum
 * mismatch"). Reopening makes LevelDB replay the log up to the tear into a table and start a new
 * log, so writes after it are safe again. While the disk stays full, reopening would fail and
 * leave nothing to read from, so the old handle keeps serving lookups (LevelDB did not apply the
 * failed write) until there is room to reopen.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord, type NameRecord } from '../codec/record.js';
import { readLatestBackup, writeBackup, type BackupInfo } from './backup.js';
import { createLevelRegistry } from './level-registry.js';
import { freeBytes, isNoSpace, keepCopy, openLevelStore, sizeOf, StoreUnavailableError, type StringLevel } from './level-store.js';
import { StorageUnavailableError, type DamageSummary, type Registry, type StoreHealth } from './registry.js';

export interface DurableRegistryOptions {
  /** The names LevelDB directory (created if missing), e.g. `<dataDir>/names`. */
  readonly dir: string;
  /** Where verified snapshots go, e.g. `<dataDir>/backups`. */
  readonly backupDir: string;
  /** Where copies of damaged stores go, e.g. `<dataDir>/damaged`. */
  readonly damagedDir: string;
  /** Least time between two backups when names changed (removals are backed up at once). @default 300000 */
  readonly backupIntervalMs?: number;
  /** Verified snapshots kept. @default 3 */
  readonly keepBackups?: number;
  /** Least time between two attempts to reopen a store that refused a write or did not open. @default 1000 */
  readonly retryMs?: number;
  /** Free space (bytes, beyond twice the log size) needed before reopening after a failed write. @default 1048576 */
  readonly reserveBytes?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export type DurableRegistry = Registry & Required<Pick<Registry, 'health' | 'tick' | 'repair' | 'close'>>;

/**
 * How many names the store held after the last acknowledged write, kept beside the backups. A
 * store that opens with fewer (a lost or truncated log LevelDB does not report) lost names.
 * Written after the store's own write, so a crash in between leaves it low, never high.
 */
async function readCount(path: string): Promise<number | null> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}
async function writeCount(path: string, n: number): Promise<void> {
  try {
    const handle = await open(path, 'w', 0o640);
    try {
      await handle.writeFile(`${n}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: a missing or stale count only weakens loss detection, never raises a false alarm.
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Reads every entry so that damage LevelDB only finds when reading surfaces at open. */
async function readAll(db: StringLevel): Promise<void> {
  for await (const entry of db.iterator()) void entry;
}

export function createDurableRegistry(options: DurableRegistryOptions): DurableRegistry {
  const now = options.now ?? Date.now;
  const backupIntervalMs = options.backupIntervalMs ?? 300_000;
  const keepBackups = options.keepBackups ?? 3;
  const retryMs = options.retryMs ?? 1000;
  const reserveBytes = options.reserveBytes ?? 1024 * 1024;

  let db: StringLevel | null = null;
  let inner: Registry | null = null;
  /** Why the store could not be opened (null when open). */
  let down: string | null = 'not opened yet';
  /** Why writes are refused on an open store (null when writable). */
  let readOnly: string | null = null;
  /** Settles when a reopen in progress is done; readers wait for it. */
  let reopening: Promise<void> | null = null;
  let damage: DamageSummary | null = null;
  let lastBackup: BackupInfo | null = null;
  let backupFailed: string | null = null;
  let pendingChanges = 0;
  let lastBackupAttempt = -Infinity;
  let lastRetry = -Infinity;
  let writeFailures = 0;
  let reopens = 0;
  let repairedAt: number | null = null;
  const countFile = join(options.backupDir, 'names.count');

  const backup = async (): Promise<void> => {
    if (inner === null) return;
    lastBackupAttempt = now();
    const changes = pendingChanges;
    try {
      const records: NameRecord[] = [];
      for await (const r of inner.list()) records.push(r);
      lastBackup = await writeBackup(options.backupDir, records, now(), keepBackups);
      pendingChanges -= changes;
      backupFailed = null;
    } catch (error) {
      backupFailed = describe(error);
    }
  };

  /**
   * Puts back what the last verified backup has and the store lacks or holds garbled (a record of
   * the same name and address that differs). Keeps a copy first unless one was already taken.
   */
  const restoreFromBackup = async (
    reg: Registry,
    copyTaken: boolean,
    corrupt: number,
  ): Promise<{ restored: number; conflicts: number; copy: string | null; backupAt: number | null }> => {
    const latest = await readLatestBackup(options.backupDir);
    if (latest.info === null) return { restored: 0, conflicts: 0, copy: null, backupAt: null };
    lastBackup = latest.info;
    const missing: NameRecord[] = [];
    const taken = new Set<string>();
    let conflicts = 0;
    for (const record of latest.records) {
      const stored = await reg.getByName(record.name);
      if (stored !== undefined && (stored.addr !== record.addr || encodeRecord(stored) === encodeRecord(record))) continue;
      // The address index may still name this record although the record itself is gone.
      const holder = await reg.getNameByAddr(record.addr);
      if ((holder !== undefined && holder !== record.name) || taken.has(record.addr)) {
        conflicts += 1;
        continue;
      }
      taken.add(record.addr);
      missing.push(record);
    }
    let copy: string | null = null;
    if ((missing.length > 0 || corrupt > 0) && !copyTaken) copy = await keepCopy(options.dir, options.damagedDir, now());
    if (missing.length > 0) {
      await reg.insert(missing);
      await reg.open(); // recounts: some records replaced garbled ones of the same name
    }
    return { restored: missing.length, conflicts, copy, backupAt: latest.info.at };
  };

  const openStore = async (forceRepair: boolean): Promise<void> => {
    await mkdir(options.backupDir, { recursive: true, mode: 0o750 }).catch(() => undefined);
    let opened: Awaited<ReturnType<typeof openLevelStore>>;
    try {
      opened = await openLevelStore({ dir: options.dir, damagedDir: options.damagedDir, now, verify: readAll, forceRepair });
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        down = error.message;
        return;
      }
      throw error;
    }
    const reg = createLevelRegistry(opened.db);
    await reg.open();
    const expected = await readCount(countFile);
    const namesRead = reg.count();
    const corruptRecords = reg.corrupt();
    db = opened.db;
    inner = reg;
    down = null;
    readOnly = null;
    let fromBackup = { restored: 0, conflicts: 0, copy: null as string | null, backupAt: null as number | null };
    try {
      fromBackup = await restoreFromBackup(reg, opened.damage !== null, corruptRecords);
    } catch (error) {
      // The store is readable; restoring needs a write (or a copy) that failed. Retried on the next reopen.
      writeFailures += 1;
      readOnly = `restoring from the backup failed: ${describe(error)}`;
    }
    const lost = expected === null ? 0 : Math.max(0, expected - reg.count());
    if (opened.damage !== null || fromBackup.restored > 0 || corruptRecords > 0 || lost > 0) {
      if (lost > 0 && opened.damage === null && fromBackup.copy === null)
        fromBackup.copy = await keepCopy(options.dir, options.damagedDir, now()).catch(() => null);
      const error =
        opened.damage?.error ??
        (fromBackup.restored > 0
          ? `${fromBackup.restored} names of the backup of ${new Date(fromBackup.backupAt ?? 0).toISOString()} were missing from the store or garbled`
          : corruptRecords > 0
            ? `${corruptRecords} unreadable records`
            : `the store holds ${reg.count()} names, ${expected} were acknowledged`);
      damage = {
        detectedAt: opened.damage?.detectedAt ?? now(),
        error,
        copy: opened.damage?.copy ?? fromBackup.copy,
        action: opened.damage?.action ?? 'kept',
        namesRead,
        restoredFromBackup: fromBackup.restored,
        conflicts: fromBackup.conflicts,
        corruptRecords,
        lost,
      };
      pendingChanges += 1;
    }
    await writeCount(countFile, reg.count());
    if (pendingChanges > 0) await backup();
  };

  const closeDb = async (): Promise<void> => {
    const d = db;
    db = null;
    inner = null;
    if (d !== null) await d.close().catch(() => undefined);
  };

  /** Reopens after a failed write once the disk has room for LevelDB to flush its log. */
  const recover = async (force: boolean): Promise<void> => {
    if (reopening !== null) return reopening;
    const t = now();
    if (!force && t - lastRetry < retryMs) return;
    lastRetry = t;
    if (db !== null && readOnly === null) return;
    if (db !== null) {
      const needed = 2 * (await sizeOf(options.dir, '.log')) + reserveBytes;
      const free = await freeBytes(options.dir).catch(() => 0);
      if (free < needed) {
        readOnly = `${readOnly?.replace(/ \(.*$/, '') ?? 'writes refused'} (waiting for ${needed} free bytes, ${free} free)`;
        return;
      }
    }
    reopening = (async () => {
      await closeDb();
      await openStore(false);
      if (down === null) reopens += 1;
    })().finally(() => {
      reopening = null;
    });
    return reopening;
  };

  const readable = async (): Promise<Registry> => {
    if (reopening !== null) await reopening;
    if (inner === null) throw new StorageUnavailableError(`names store unavailable: ${down ?? 'closed'}`);
    return inner;
  };

  const writable = async (): Promise<Registry> => {
    if (readOnly !== null || inner === null) await recover(false);
    if (reopening !== null) await reopening;
    if (inner === null) throw new StorageUnavailableError(`names store unavailable: ${down ?? 'closed'}`);
    if (readOnly !== null) throw new StorageUnavailableError(`names store is read-only: ${readOnly}`);
    return inner;
  };

  const write = async <T>(op: (reg: Registry) => Promise<T>): Promise<T> => {
    const reg = await writable();
    try {
      const result = await op(reg);
      pendingChanges += 1;
      await writeCount(countFile, reg.count());
      return result;
    } catch (error) {
      writeFailures += 1;
      readOnly = `a write failed: ${describe(error)}`;
      if (isNoSpace(error)) readOnly = 'the disk is full';
      throw new StorageUnavailableError(`names store is read-only: ${readOnly}`);
    }
  };

  return {
    async open() {
      if (inner !== null) return; // already open (the appliance opens it early to migrate an old data dir)
      await openStore(false);
    },
    getByName: async (name) => (await readable()).getByName(name),
    getNameByAddr: async (addr) => (await readable()).getNameByAddr(addr),
    insert: (records) => write((reg) => reg.insert(records)),
    async remove(name) {
      const removed = await write((reg) => reg.remove(name));
      // A removal not in the backup would come back from it after damage: back it up now.
      if (removed !== undefined) await backup();
      return removed;
    },
    count: () => inner?.count() ?? 0,
    async *list() {
      yield* (await readable()).list();
    },
    corrupt: () => inner?.corrupt() ?? 0,
    recent: () => inner?.recent() ?? [],
    health(): StoreHealth {
      return {
        state: inner === null ? 'down' : readOnly !== null ? 'read-only' : 'ok',
        problem: inner === null ? down : readOnly,
        damage,
        backup: { last: lastBackup, failed: backupFailed, pendingChanges },
        writeFailures,
        reopens,
        repairedAt,
      };
    },
    async tick() {
      if (inner === null || readOnly !== null) await recover(false);
      if (inner !== null && pendingChanges > 0 && now() - lastBackupAttempt >= backupIntervalMs) await backup();
    },
    async repair() {
      if (reopening !== null) await reopening;
      await closeDb();
      await openStore(true);
      if (inner !== null && readOnly === null) repairedAt = now();
      return this.health();
    },
    async close() {
      if (inner !== null && pendingChanges > 0) await backup();
      await closeDb();
      down = 'closed';
    },
  };
}

/** The usual layout under a data dir: `names/`, `backups/`, `damaged/`. */
export function durableRegistryIn(dataDir: string, extra: Omit<DurableRegistryOptions, 'dir' | 'backupDir' | 'damagedDir'> = {}): DurableRegistry {
  return createDurableRegistry({ dir: join(dataDir, 'names'), backupDir: join(dataDir, 'backups'), damagedDir: join(dataDir, 'damaged'), ...extra });
}

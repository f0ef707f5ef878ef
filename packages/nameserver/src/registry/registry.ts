import type { NameRecord } from '../codec/record.js';
import type { BackupInfo } from './backup.js';

/** A registration as the status page lists it. */
export interface RecentName {
  readonly name: string;
  readonly addr: string;
  /** Clock time (ms) of the registration on the box that first accepted it. */
  readonly registeredAt: number;
}

/** How many of the latest registrations a registry keeps at hand. */
export const RECENT_NAMES = 5;

/**
 * Storage of name records, indexed both ways. Callers serialize writes (the name service holds a
 * write lock), so implementations need no compare-and-set. Every write resolves only once the data
 * is durable; a write that cannot be made durable rejects (with `StorageUnavailableError` when the
 * store refuses writes for now, e.g. a full disk) and is never acknowledged.
 */
export interface Registry {
  /** Loads what is needed to answer `count()`. */
  open(): Promise<void>;
  getByName(name: string): Promise<NameRecord | undefined>;
  getNameByAddr(addr: string): Promise<string | undefined>;
  /** Stores the records and their address index atomically. Names and addresses must be free. */
  insert(records: readonly NameRecord[]): Promise<void>;
  /** Deletes a name and its address index entry; returns the removed record. */
  remove(name: string): Promise<NameRecord | undefined>;
  /** Number of stored names. */
  count(): number;
  /** Stored records in name order; entries that fail to decode are skipped. */
  list(): AsyncIterable<NameRecord>;
  /** Stored entries that could not be decoded (found by `open()` or a lookup). */
  corrupt(): number;
  /**
   * The latest registrations, newest first (at most RECENT_NAMES), found while opening and kept
   * up to date by `insert`; a removed name leaves the list without being replaced.
   */
  recent(): readonly RecentName[];
  /** State of the storage under the registry; registries without one (memory) leave it out. */
  health?(): StoreHealth;
  /** Periodic work: reopening after a failed write, retrying a store that could not open, backups. */
  tick?(): Promise<void>;
  /** Operator repair: keeps a copy, rebuilds the store, restores what the last backup has and the store lacks. */
  repair?(): Promise<StoreHealth>;
  /** Takes a last backup if names changed, and closes what the registry opened. */
  close?(): Promise<void>;
}

/** The registry refuses writes for now (full disk, store being reopened, store could not open). Answered 503. */
export class StorageUnavailableError extends Error {
  readonly code = 'STORAGE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/** What `/api/status` shows about the names store. */
export interface StoreHealth {
  /**
   * `ok`; `read-only`: a write failed, lookups are served and writes refused until the store is
   * reopened (tried by itself once there is room); `down`: the store could not be opened.
   */
  readonly state: 'ok' | 'read-only' | 'down';
  /** Why the state is not `ok`, in words. */
  readonly problem: string | null;
  /** The last damage found (at start or by a repair), and what was recovered; null if none. */
  readonly damage: DamageSummary | null;
  readonly backup: {
    readonly last: BackupInfo | null;
    /** Why the last backup attempt failed, null if it did not. */
    readonly failed: string | null;
    /** Changes since the last backup. */
    readonly pendingChanges: number;
  };
  /** Writes that failed (each put the store read-only until it was reopened). */
  readonly writeFailures: number;
  /** Times the store was reopened after a failed write. */
  readonly reopens: number;
  /** Clock time (ms) of the last successful operator repair; damage found before it is dealt with. */
  readonly repairedAt: number | null;
}

export interface DamageSummary {
  readonly detectedAt: number;
  readonly error: string;
  /** Copy of the damaged files, kept before anything was changed. */
  readonly copy: string | null;
  /** `repaired` by LevelDB's repairer, `recreated` empty, or `kept` (the store opened but lacked names the backup has). */
  readonly action: 'repaired' | 'recreated' | 'kept';
  /** Names readable in the store after repair. */
  readonly namesRead: number;
  /** Names the store lacked and the last backup restored. */
  readonly restoredFromBackup: number;
  /** Names in the backup not restored because their name or address is now held by another registration. */
  readonly conflicts: number;
  /** Unreadable records found. */
  readonly corruptRecords: number;
  /**
   * Names acknowledged before the damage that neither the store nor the backup had (registered
   * after the last backup), from the count recorded beside the store after every write.
   */
  readonly lost: number;
}

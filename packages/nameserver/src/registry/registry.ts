import type { NameRecord } from '../codec/record.js';

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
 * is durable.
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
}

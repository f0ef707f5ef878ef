/**
 * The name server's side of registry replication (the replication itself lives in its own
 * package): a gate that every local registration and removal passes through, and a narrow access
 * to the registry for records that arrive from other boxes. Both go through the name service's
 * write lock, so "first come, first served" stays exact whichever way a record arrives.
 */
import type { NameRecord } from './codec/record.js';

/** What the gate answers for a registration that passed the local checks. */
export type GateVerdict =
  | {
      readonly ok: true;
      /** Stored in the record: the box that acknowledges it. */
      readonly origin: string;
      /** Stored in the record: every known box accepted it before the acknowledgement. */
      readonly confirmed: boolean;
    }
  | { readonly ok: false };

/** Installed by the replication module; the name server calls it under its write lock. */
export interface RegistrationGate {
  /** A registration passed every local check; may ask other boxes. Refusal answers 409 "name already taken". */
  admit(record: NameRecord): Promise<GateVerdict>;
  /**
   * A registration was written (durably); the acknowledgement waits for the returned promise, so
   * that the other boxes serve the name by the time the client hears it is registered.
   */
  registered(record: NameRecord): Promise<void> | void;
  /** The operator removed this record. */
  removed(record: NameRecord): void;
  /** The operator imported these records (other boxes fetch them at their next exchange). */
  imported(records: readonly NameRecord[]): void;
}

/** Writes allowed while holding the lock; every write is durable when it resolves. */
export interface RegistryWriter {
  get(name: string): Promise<NameRecord | undefined>;
  nameOf(addr: string): Promise<string | undefined>;
  /** Names and addresses must be free (remove the holders first). */
  insert(records: readonly NameRecord[]): Promise<void>;
  remove(name: string): Promise<NameRecord | undefined>;
  count(): number;
}

/** The registry as the replication module sees it. */
export interface RegistryAccess {
  get(name: string): Promise<NameRecord | undefined>;
  nameOf(addr: string): Promise<string | undefined>;
  /** Every stored record, in name order. */
  list(): AsyncIterable<NameRecord>;
  count(): number;
  readonly maxNames: number;
  /** Runs `fn` with the write lock held: local registrations wait meanwhile. */
  exclusive<T>(fn: (tx: RegistryWriter) => Promise<T>): Promise<T>;
  /** The checks a registration passes (key size, key hashes to addr, signature over the name). */
  verify(record: Pick<NameRecord, 'name' | 'addr' | 'publickey' | 'signature'>): boolean;
}

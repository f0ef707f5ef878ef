/** A bounded list of recently heard peers that forgets them after a time-to-live. */

export interface Seen {
  /** Clock time (ms) of the first announcement heard. */
  readonly firstSeen: number;
  /** Clock time (ms) of the latest announcement heard. */
  readonly lastSeen: number;
  /** Clock time (ms) after which the entry is dropped unless heard again. */
  readonly expiresAt: number;
}

export type UpsertOutcome = 'added' | 'updated' | 'full';

export class NearbyList<T extends object> {
  private readonly entries = new Map<string, T & Seen>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  /** Adds or refreshes `key`; when the list is full a new key is refused (existing ones stay). */
  upsert(key: string, value: T, now: number): UpsertOutcome {
    const prev = this.entries.get(key);
    if (!prev && this.entries.size >= this.max) return 'full';
    this.entries.set(key, { ...value, firstSeen: prev?.firstSeen ?? now, lastSeen: now, expiresAt: now + this.ttlMs });
    return prev ? 'updated' : 'added';
  }

  /** Drops expired entries; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        n++;
      }
    }
    return n;
  }

  values(): Array<T & Seen> {
    return [...this.entries.values()].sort((a, b) => a.firstSeen - b.firstSeen);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

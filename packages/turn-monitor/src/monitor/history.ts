import type { HealthState } from '../probe/classify.js';

export interface HistoryEntry {
  /** When the check finished (clock ms). */
  readonly at: number;
  readonly state: HealthState;
}

/** What the status page shows about the recent past of one server. */
export interface HistorySummary {
  /** Length of the window the counts cover, in ms. */
  readonly windowMs: number;
  readonly checks: number;
  readonly ok: number;
  readonly degraded: number;
  readonly down: number;
  /** Last check that came out ok, including before a restart (from the store); null if never. */
  readonly lastOkAt: number | null;
  /** Last check that was not ok; null if never. */
  readonly lastFailureAt: number | null;
  /** The most recent checks, oldest first, for a sparkline. */
  readonly recent: readonly HistoryEntry[];
}

/**
 * Check outcomes of one server over a sliding window, bounded both by age and by count (one entry
 * per check: at the default 60 s cadence, 24 h is 1440 entries).
 */
export class ServerHistory {
  readonly #entries: HistoryEntry[] = [];
  lastOkAt: number | null = null;
  lastFailureAt: number | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly limit: number,
    private readonly recentCount: number,
  ) {}

  add(entry: HistoryEntry): void {
    this.#entries.push(entry);
    if (entry.state === 'ok') this.lastOkAt = entry.at;
    else this.lastFailureAt = entry.at;
    if (this.#entries.length > this.limit) this.#entries.splice(0, this.#entries.length - this.limit);
    this.prune(entry.at);
  }

  prune(now: number): void {
    let drop = 0;
    while (drop < this.#entries.length && (this.#entries[drop] as HistoryEntry).at < now - this.windowMs) drop++;
    if (drop > 0) this.#entries.splice(0, drop);
  }

  get size(): number {
    return this.#entries.length;
  }

  summary(): HistorySummary {
    const counts = { ok: 0, degraded: 0, down: 0 };
    for (const e of this.#entries) counts[e.state]++;
    return {
      windowMs: this.windowMs,
      checks: this.#entries.length,
      ...counts,
      lastOkAt: this.lastOkAt,
      lastFailureAt: this.lastFailureAt,
      recent: this.#entries.slice(-this.recentCount),
    };
  }
}

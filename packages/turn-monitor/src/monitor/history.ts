import type { HealthState } from '../probe/classify.js';

export interface HistoryEntry {
  /** When the check finished (clock ms). */
  readonly at: number;
  readonly state: HealthState;
  /** Why the check was not ok (the monitor's `lastError` text); absent or null when ok. */
  readonly error?: string | null;
}

/** One slice of the timeline: the checks that finished in it, and why the last bad one failed. */
export interface TimelineBucket {
  readonly ok: number;
  readonly degraded: number;
  readonly down: number;
  /** Reason of the latest check in this slice that was not ok; null if all were ok (or none ran). */
  readonly error: string | null;
}

/** The whole window cut into equal slices, oldest first, for a chart with reasons for red parts. */
export interface Timeline {
  /** End of the last slice (clock ms): the time of the summary. */
  readonly end: number;
  readonly bucketMs: number;
  readonly buckets: readonly TimelineBucket[];
}

/** Slices in the timeline (48 half hours over the default 24 h). */
export const TIMELINE_BUCKETS = 48;
/** Longest reason text kept in a timeline slice. */
const MAX_REASON = 200;

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
  /** The window in TIMELINE_BUCKETS slices. */
  readonly timeline: Timeline;
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

  /** @param now end of the timeline; defaults to the latest check (or 0 with none). */
  summary(now?: number): HistorySummary {
    const counts = { ok: 0, degraded: 0, down: 0 };
    for (const e of this.#entries) counts[e.state]++;
    const end = now ?? this.#entries[this.#entries.length - 1]?.at ?? 0;
    const bucketMs = this.windowMs / TIMELINE_BUCKETS;
    const buckets = Array.from({ length: TIMELINE_BUCKETS }, () => ({ ok: 0, degraded: 0, down: 0, error: null as string | null }));
    for (const e of this.#entries) {
      const i = Math.floor((e.at - (end - this.windowMs)) / bucketMs);
      const b = buckets[Math.min(i, TIMELINE_BUCKETS - 1)];
      if (i < 0 || b === undefined) continue;
      b[e.state]++;
      if (e.state !== 'ok' && e.error) b.error = e.error.slice(0, MAX_REASON);
    }
    return {
      windowMs: this.windowMs,
      checks: this.#entries.length,
      ...counts,
      lastOkAt: this.lastOkAt,
      lastFailureAt: this.lastFailureAt,
      recent: this.#entries.slice(-this.recentCount),
      timeline: { end, bucketMs, buckets },
    };
  }
}

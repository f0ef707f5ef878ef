/**
 * Gives the memory a burst of writes left behind back to the system once the burst is over.
 *
 * Why: each put's temporaries are promoted out of the small young generation (heap-settings.ts),
 * and while the heap is small V8 grows the old generation in steps of several MiB between full
 * GCs. V8's own memory reducer, which would compact the heap and unmap its free pages when the
 * process goes quiet, only starts once the old generation has grown past a fixed threshold, so a
 * box that had just taken 10 000 values kept about 2 MiB of free heap pages resident for good:
 * 900–960 B of RSS per stored value instead of 670–730 B (docs/performance-findings.md, "Memory per stored
 * value").
 *
 * How: V8's low-memory notification (compacting, memory-reducing full GCs, the young generation
 * shrunk, freed pages unmapped). JavaScript reaches it only through the inspector protocol's
 * `HeapProfiler.collectGarbage`, over an in-process session: no port is opened, and the session
 * is connected for the call only. `gc()` (`--expose-gc`) runs an ordinary full GC, which keeps the
 * pages: measured, it did not lower RSS at 10 000 values.
 *
 * When: the heap V8 has committed grew by at least `minGrowthBytes` and by `minGrowthRatio` over
 * its lowest reading since the last release, and the event loop was quiet for a whole check
 * period. A release costs one or two full GCs of the live heap (measured: ~35 ms of main thread
 * at 10 000 stored values, 70–100 ms at 100 000), at most once per `minIntervalMs`, and only after
 * the heap grew, so a box in steady state never pays it.
 */
import { getHeapStatistics } from 'node:v8';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface HeapReleaseOptions {
  /** How often the heap is looked at. @default 1000 */
  checkMs?: number;
  /** Growth of the committed heap over its lowest reading that makes a release worth it. @default 4194304 (4 MiB) */
  minGrowthBytes?: number;
  /** The same growth as a fraction of that lowest reading; both must be reached. @default 0.25 */
  minGrowthRatio?: number;
  /** A check period is quiet when the event loop was busy for less than this fraction of it. @default 0.05 */
  quietUtilization?: number;
  /** Least time between two releases. @default 10000 */
  minIntervalMs?: number;
}

export const HEAP_RELEASE_DEFAULTS: Required<HeapReleaseOptions> = {
  checkMs: 1000,
  minGrowthBytes: 4 * 1024 * 1024,
  minGrowthRatio: 0.25,
  quietUtilization: 0.05,
  minIntervalMs: 10_000,
};

/** What the decision reads and does; the real one is `v8Probe()`. */
export interface HeapProbe {
  /** Bytes V8 has committed for its heap. */
  committedBytes(): number;
  /** Fraction (0..1) of the time since the previous call that the event loop was busy. */
  busySinceLastCall(): number;
  /** Runs the memory-reducing GC; false when this runtime cannot (Node built without the inspector). */
  release(): Promise<boolean>;
}

export interface HeapReleaseStatus {
  counters: {
    releases: number;
    /** Committed heap given back, summed over the releases. */
    releasedBytes: number;
  };
  /** Committed heap before and after the last release. */
  last: { beforeBytes: number; afterBytes: number } | null;
  /** False once the runtime turned out not to offer the memory-reducing GC. */
  available: boolean;
}

export interface HeapReleaseLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class HeapRelease {
  private readonly opts: Required<HeapReleaseOptions>;
  private lowest: number;
  private lastReleaseAt = Number.NEGATIVE_INFINITY;
  private running = false;
  private readonly state: HeapReleaseStatus = { counters: { releases: 0, releasedBytes: 0 }, last: null, available: true };

  constructor(
    options: HeapReleaseOptions,
    private readonly probe: HeapProbe,
    private readonly logger: HeapReleaseLogger,
  ) {
    this.opts = { ...HEAP_RELEASE_DEFAULTS };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (this.opts as Record<string, number>)[k] = v;
    this.lowest = probe.committedBytes();
  }

  status(): HeapReleaseStatus {
    const { counters, last, available } = this.state;
    return { counters: { ...counters }, last: last === null ? null : { ...last }, available };
  }

  /** One check at `nowMs`; resolves true when it released memory. */
  async check(nowMs: number): Promise<boolean> {
    if (this.running || !this.state.available) return false;
    const busy = this.probe.busySinceLastCall();
    const committed = this.probe.committedBytes();
    if (committed < this.lowest) this.lowest = committed;
    const growth = committed - this.lowest;
    if (growth < this.opts.minGrowthBytes || growth < this.lowest * this.opts.minGrowthRatio) return false;
    if (busy >= this.opts.quietUtilization || nowMs - this.lastReleaseAt < this.opts.minIntervalMs) return false;
    this.running = true;
    // Also after a failure: a release that throws is retried once per interval, not every check.
    this.lastReleaseAt = nowMs;
    try {
      if (!(await this.probe.release())) {
        this.state.available = false;
        this.logger.warn({}, 'this Node has no inspector: heap memory is not released after bursts of writes');
        return false;
      }
    } finally {
      this.running = false;
    }
    const after = this.probe.committedBytes();
    this.lowest = after;
    this.state.counters.releases++;
    this.state.counters.releasedBytes += Math.max(0, committed - after);
    this.state.last = { beforeBytes: committed, afterBytes: after };
    // The check's own period was quiet; the GC just run must not count as the next period's work.
    this.probe.busySinceLastCall();
    this.logger.debug({ beforeBytes: committed, afterBytes: after }, 'heap released after a burst');
    return true;
  }
}

/** Node's readings, and V8's low-memory notification through an in-process inspector session. */
export function v8Probe(): HeapProbe {
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    committedBytes: () => getHeapStatistics().total_heap_size,
    busySinceLastCall: () => {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, previous);
      previous = now;
      return delta.utilization;
    },
    release: async () => {
      // Loaded on the first release only: a box that never sees a burst never maps the inspector's code.
      const { Session } = await import('node:inspector');
      const session = new Session();
      try {
        session.connect();
      } catch {
        return false;
      }
      try {
        await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
      } finally {
        session.disconnect();
      }
      return true;
    },
  };
}

/** Checks every `checkMs` (the timer never keeps the process alive); `stop()` ends it. */
export function startHeapRelease(options: HeapReleaseOptions, components: { logger: HeapReleaseLogger }): { stop(): void; status(): HeapReleaseStatus } {
  const release = new HeapRelease(options, v8Probe(), components.logger);
  const timer = setInterval(() => {
    release.check(performance.now()).catch((err: unknown) => components.logger.warn({ err }, 'heap release failed'));
  }, options.checkMs ?? HEAP_RELEASE_DEFAULTS.checkMs);
  timer.unref();
  return { stop: () => clearInterval(timer), status: () => release.status() };
}

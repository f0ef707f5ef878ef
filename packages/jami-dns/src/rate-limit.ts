/** Per-source token buckets, a bounded number of sources (least recently seen evicted first). */

export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  /** `perSecond` queries per second per source, bursts up to `burst`. */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxSources: number,
  ) {}

  /** Takes one token for `source`; false when it has none left. */
  take(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (b !== undefined) {
      this.buckets.delete(source); // re-inserted below: Map order is least recently seen first
      b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.last) * this.perSecond) / 1000);
      b.last = now;
    } else {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.burst, last: now };
    }
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}

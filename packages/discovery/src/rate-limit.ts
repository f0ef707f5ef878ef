/** Token buckets bounding how much work remote peers can cause. */

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `perSecond` tokens per second, holding at most `perSecond` (a one-second burst). */
  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = perSecond;
    this.last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One bucket per source address, at most `maxSources` of them (least recently seen evicted). */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perSecond: number,
    private readonly maxSources: number,
  ) {}

  take(source: string, now: number): boolean {
    let bucket = this.buckets.get(source);
    if (bucket) {
      // Re-insert so that Map order is least-recently-seen first.
      this.buckets.delete(source);
    } else {
      bucket = new TokenBucket(this.perSecond, now);
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(source, bucket);
    return bucket.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }
}

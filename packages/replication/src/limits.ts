/** Per-address budgets for what other boxes send us: requests, pushed records, bad records. */

class Bucket {
  tokens: number;
  at: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }
  take(n: number, now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

export interface SourceStats {
  requests: number;
  throttled: number;
  badRecords: number;
  blockedUntil: number;
}

interface Source extends SourceStats {
  requestBudget: Bucket;
  recordBudget: Bucket;
  lastSeen: number;
}

/** At most `maxSources` addresses are tracked; the least recently seen one is forgotten. */
export class SourceLimits {
  readonly #sources = new Map<string, Source>();
  constructor(
    readonly opts: { maxRequestsPerSecond: number; maxPushedRecordsPerSecond: number; maxBadRecords: number; blockMs: number },
    readonly maxSources = 256,
  ) {}

  #get(address: string, now: number): Source {
    let s = this.#sources.get(address);
    if (s === undefined) {
      if (this.#sources.size >= this.maxSources) {
        let oldest: string | undefined;
        let at = Infinity;
        for (const [k, v] of this.#sources) if (v.lastSeen < at && v.blockedUntil <= now) [oldest, at] = [k, v.lastSeen];
        if (oldest !== undefined) this.#sources.delete(oldest);
      }
      s = {
        requests: 0,
        throttled: 0,
        badRecords: 0,
        blockedUntil: 0,
        lastSeen: now,
        requestBudget: new Bucket(this.opts.maxRequestsPerSecond, this.opts.maxRequestsPerSecond * 2, now),
        recordBudget: new Bucket(this.opts.maxPushedRecordsPerSecond, this.opts.maxPushedRecordsPerSecond * 5, now),
      };
      this.#sources.set(address, s);
    }
    s.lastSeen = now;
    return s;
  }

  /** A request arrives: false if the address is blocked or over its request budget (counted). */
  admitRequest(address: string, now: number): boolean {
    const s = this.#get(address, now);
    s.requests += 1;
    if (s.blockedUntil > now || !s.requestBudget.take(1, now)) {
      s.throttled += 1;
      return false;
    }
    return true;
  }

  admitRecords(address: string, n: number, now: number): boolean {
    const s = this.#get(address, now);
    if (!s.recordBudget.take(n, now)) {
      s.throttled += 1;
      return false;
    }
    return true;
  }

  /** Counts records that failed verification; past the bound the address is blocked. Returns true if it just got blocked. */
  bad(address: string, n: number, now: number): boolean {
    const s = this.#get(address, now);
    s.badRecords += n;
    if (s.badRecords >= this.opts.maxBadRecords && s.blockedUntil <= now) {
      s.blockedUntil = now + this.opts.blockMs;
      // The count starts over once the block ends.
      s.badRecords = 0;
      return true;
    }
    return false;
  }

  blocked(address: string, now: number): boolean {
    return (this.#sources.get(address)?.blockedUntil ?? 0) > now;
  }

  snapshot(now: number): Array<{ address: string; requests: number; throttled: number; badRecords: number; blocked: boolean }> {
    return [...this.#sources].map(([address, s]) => ({
      address,
      requests: s.requests,
      throttled: s.throttled,
      badRecords: s.badRecords,
      blocked: s.blockedUntil > now,
    }));
  }
}

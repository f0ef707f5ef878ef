/**
 * Request rate limits (§16.1): per source (IPv4 address or IPv6 /64) and global, over a sliding
 * one-second window. The window is cut into 20 slots of 50 ms so that each tracked source costs a
 * fixed 20 counters instead of one timestamp per request.
 */

const SLOTS = 20;
const SLOT_MS = 50;

class Window {
  private readonly counts = new Uint32Array(SLOTS);
  private lastSlot = -1;
  private total = 0;

  /** Advance to `slot` (absolute slot number), forgetting slots older than one second. */
  private advance(slot: number): void {
    if (this.lastSlot === -1 || slot - this.lastSlot >= SLOTS) {
      this.counts.fill(0);
      this.total = 0;
    } else {
      for (let s = this.lastSlot + 1; s <= slot; s++) {
        const i = s % SLOTS;
        this.total -= this.counts[i]!;
        this.counts[i] = 0;
      }
    }
    if (slot > this.lastSlot) this.lastSlot = slot;
  }

  /** Count one request if under `limit`; false when the window is full. */
  take(slot: number, limit: number): boolean {
    this.advance(slot);
    if (this.total >= limit) return false;
    this.counts[slot % SLOTS]!++;
    this.total++;
    return true;
  }

  idle(slot: number): boolean {
    return slot - this.lastSlot >= SLOTS;
  }
}

export interface RateLimiterOptions {
  perIp: number;
  global: number;
  maxTrackedIps: number;
}

export class RateLimiter {
  private readonly perSource = new Map<string, Window>();
  private readonly globalWindow = new Window();
  /** Slot of the last search for idle sources; at most one per slot, see `allow`. */
  private lastPurgeSlot = -1;
  /** Sources not tracked because the map was full (then only the global limit applies). */
  untracked = 0;

  constructor(private readonly options: RateLimiterOptions) {}

  /** True when a request from `sourceKey` may be processed now. */
  allow(sourceKey: string, now: number): boolean {
    const slot = Math.floor(now / SLOT_MS);
    const { perIp, global } = this.options;
    if (perIp >= 0) {
      let window = this.perSource.get(sourceKey);
      if (!window) {
        // When every tracked source is active, a walk over the table finds nothing to drop; doing
        // it for each datagram from a new (possibly spoofed) source would cost O(table) each.
        if (this.perSource.size >= this.options.maxTrackedIps && slot !== this.lastPurgeSlot) this.purge(slot);
        if (this.perSource.size < this.options.maxTrackedIps) {
          window = new Window();
          this.perSource.set(sourceKey, window);
        } else this.untracked++;
      }
      if (window && !window.take(slot, perIp)) return false;
    }
    if (global >= 0 && !this.globalWindow.take(slot, global)) return false;
    return true;
  }

  private purge(slot: number): void {
    this.lastPurgeSlot = slot;
    for (const [key, window] of this.perSource) if (window.idle(slot)) this.perSource.delete(key);
  }

  /** Drop sources idle for a second (maintenance tick). */
  sweep(now: number): void {
    this.purge(Math.floor(now / SLOT_MS));
  }

  get tracked(): number {
    return this.perSource.size;
  }
}

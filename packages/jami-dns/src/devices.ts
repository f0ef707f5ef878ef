/** Distinct devices (source addresses) that asked for each name, within a sliding window. */

export class DeviceTracker {
  private readonly seen = new Map<string, Map<string, number>>();
  /** Addresses dropped because a name's table was full (the oldest goes first). */
  evicted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxPerName: number,
  ) {}

  record(name: string, device: string, now: number): void {
    let table = this.seen.get(name);
    if (table === undefined) {
      table = new Map();
      this.seen.set(name, table);
    }
    table.delete(device); // Map order: least recently seen first
    if (table.size >= this.maxPerName) {
      const oldest = table.keys().next().value;
      if (oldest !== undefined) {
        table.delete(oldest);
        this.evicted++;
      }
    }
    table.set(device, now);
  }

  /** Forgets devices last seen before the window. */
  prune(now: number): void {
    for (const table of this.seen.values()) {
      for (const [device, at] of table) {
        if (now - at <= this.windowMs) break; // the rest are more recent
        table.delete(device);
      }
    }
  }

  count(name: string, now: number): number {
    let n = 0;
    for (const at of this.seen.get(name)?.values() ?? []) if (now - at <= this.windowMs) n++;
    return n;
  }
}

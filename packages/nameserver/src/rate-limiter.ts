/** Fixed-window counter of registration attempts per client IP, with a bounded table. */
export interface RateLimiter {
  /** Counts one attempt; false if the client is over its budget or the table is full. */
  allow(client: string, now: number): boolean;
  /** Forgets windows that have ended. */
  prune(now: number): void;
  tracked(): number;
}

export function createRateLimiter(limit: number, windowMs: number, maxClients: number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const prune = (now: number): void => {
    for (const [client, w] of windows) if (now - w.start >= windowMs) windows.delete(client);
  };
  return {
    allow(client, now) {
      const current = windows.get(client);
      if (current !== undefined && now - current.start < windowMs) {
        if (current.count >= limit) return false;
        current.count += 1;
        return true;
      }
      if (current === undefined && windows.size >= maxClients) {
        prune(now);
        if (windows.size >= maxClients) return false;
      }
      windows.set(client, { start: now, count: 1 });
      return true;
    },
    prune,
    tracked: () => windows.size,
  };
}

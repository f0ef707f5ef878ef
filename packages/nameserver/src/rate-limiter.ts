import { clientGroup } from './codec/client-group.js';

/**
 * Fixed-window counter of registration attempts per client (IPv6 per /64, link-local per address:
 * see `clientGroup`), with a bounded table that cannot be filled to lock others out: when it is
 * full, the entry with the fewest attempts (the oldest among equals) makes room. Clients at their
 * limit are the last to go, so rotating addresses does not free an abuser, while one-shot
 * requests from thousands of addresses only push out each other.
 */
export interface RateLimiter {
  /** Counts one attempt; false if the client is over its budget. */
  allow(client: string, now: number): boolean;
  /** Forgets windows that have ended. */
  prune(now: number): void;
  tracked(): number;
  /** Entries pushed out to make room for a new client. */
  evicted(): number;
}

export function createRateLimiter(limit: number, windowMs: number, maxClients: number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  let evicted = 0;
  const prune = (now: number): void => {
    for (const [client, w] of windows) if (now - w.start >= windowMs) windows.delete(client);
  };
  const evictOne = (): void => {
    let victim: string | undefined;
    let best: { start: number; count: number } | undefined;
    for (const [client, w] of windows) {
      if (best === undefined || w.count < best.count || (w.count === best.count && w.start < best.start)) {
        victim = client;
        best = w;
        if (w.count <= 1) break; // Map order is window order: the first one-shot entry is the oldest of the fewest.
      }
    }
    if (victim !== undefined) {
      windows.delete(victim);
      evicted += 1;
    }
  };
  return {
    allow(address, now) {
      const client = clientGroup(address);
      const current = windows.get(client);
      if (current !== undefined && now - current.start < windowMs) {
        if (current.count >= limit) return false;
        current.count += 1;
        return true;
      }
      if (current === undefined && windows.size >= maxClients) {
        prune(now);
        if (windows.size >= maxClients) evictOne();
      }
      windows.delete(client);
      windows.set(client, { start: now, count: 1 });
      return true;
    },
    prune,
    tracked: () => windows.size,
    evicted: () => evicted,
  };
}

/**
 * The short-lived message cache a phone replays from when it reconnects: bounded per topic, in
 * topics and in bytes, with messages expiring after the cache duration.
 */
import type { PUSH_DEFAULTS } from './options.js';

export interface Message {
  id: string;
  time: number;
  expires: number;
  event: 'message';
  topic: string;
  message: string;
  encoding?: 'base64';
  bytes: number;
}

type CacheOptions = Pick<typeof PUSH_DEFAULTS, 'maxTopics' | 'maxMessagesPerTopic' | 'maxCachedBytes'>;

export class MessageCache {
  private readonly cache = new Map<string, Message[]>();
  cachedBytes = 0;
  cachedMessages = 0;
  /** Cached messages dropped before their time to honour a bound. */
  evicted = 0;

  constructor(
    private readonly o: CacheOptions,
    private readonly now: () => number,
  ) {}

  get topics(): number {
    return this.cache.size;
  }

  private dropOldest(topic: string): void {
    const list = this.cache.get(topic);
    const m = list?.shift();
    if (m === undefined) return;
    this.cachedBytes -= m.bytes;
    this.cachedMessages--;
    if (list!.length === 0) this.cache.delete(topic);
  }

  /** False when `m` would open a topic beyond `maxTopics`. */
  store(m: Message): boolean {
    let list = this.cache.get(m.topic);
    if (list === undefined) {
      if (this.cache.size >= this.o.maxTopics) return false;
      list = [];
      this.cache.set(m.topic, list);
    }
    list.push(m);
    this.cachedBytes += m.bytes;
    this.cachedMessages++;
    if (list.length > this.o.maxMessagesPerTopic) {
      this.evicted++;
      this.dropOldest(m.topic);
    }
    // Over the byte budget: drop from the topic holding the oldest message first.
    while (this.cachedBytes > this.o.maxCachedBytes && this.cachedMessages > 0) {
      let oldest: string | null = null;
      let oldestTime = Infinity;
      for (const [t, l] of this.cache) if (l[0]!.time < oldestTime) [oldest, oldestTime] = [t, l[0]!.time];
      this.evicted++;
      this.dropOldest(oldest!);
    }
    return true;
  }

  /** Cached messages of `topics` after `since` (ntfy: `all`, `none`, a message id, unix seconds, or `10m`/`2h`/`1d`). */
  replay(topics: string[], since: string | null, fallback: 'all' | 'none'): Message[] {
    const spec = since ?? fallback;
    if (spec === 'none') return [];
    let list = topics.flatMap((t) => this.cache.get(t) ?? []);
    const t = this.now();
    const dur = /^(\d+)(s|m|h|d)$/.exec(spec);
    if (spec === 'all') {
      // everything cached
    } else if (/^\d+$/.test(spec)) list = list.filter((m) => m.time >= Number(spec));
    else if (dur !== null) {
      const ms = Number(dur[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[dur[2] as 's']!;
      list = list.filter((m) => m.time * 1000 >= t - ms);
    } else {
      // A message id: what came after it. An unknown id (cache expired, other server) gets all:
      // the app drops duplicates by id, a lost wake-up is worse.
      const idx = list.findIndex((m) => m.id === spec);
      if (idx >= 0) {
        const after = list[idx]!;
        list = list.filter((m) => m.time > after.time || (m.time === after.time && list.indexOf(m) > idx));
      }
    }
    return list.sort((a, b) => a.time - b.time);
  }

  /** Drops messages whose expiry (unix seconds) is at or before `cutoff`. */
  expire(cutoff: number): void {
    for (const [topic, list] of [...this.cache]) {
      while (list.length > 0 && list[0]!.expires <= cutoff) this.dropOldest(topic);
    }
  }
}

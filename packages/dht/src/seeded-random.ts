import { createHash } from 'node:crypto';

/**
 * mulberry32: a small, fast, seedable PRNG with values in [0, 1). For test networks and fuzz
 * inputs that must repeat exactly from run to run; never for ids, tokens or anything a peer sees.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Repeatable random bytes from a text seed (SHA-256 of `seed:counter`, block after block): the
 * `rng` component of test nodes, whose ids and tids must repeat from run to run. Kept beside
 * `seededRandom` so that tests have one place for seeded randomness; the two differ only in what
 * they hand out (bytes for ids, numbers in [0, 1) for loss and latency decisions).
 */
export function seededBytes(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  let offset = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (offset >= pool.length) {
        pool = Uint8Array.from(createHash('sha256').update(`${seed}:${counter++}`).digest());
        offset = 0;
      }
      out[i] = pool[offset++]!;
    }
    return out;
  };
}

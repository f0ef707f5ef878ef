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

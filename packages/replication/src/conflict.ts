/**
 * The one rule that picks the owner of a name claimed twice (or of a Jami ID holding two names),
 * the same on every box, so that boxes that met again agree without talking it over:
 *
 * 1. a confirmed record (every box its box knew accepted it before the acknowledgement) beats an
 *    unconfirmed one, so a name every box accepted never changes owner;
 * 2. then the earlier registration time (each box's own clock);
 * 3. then the smaller Jami ID, then the smaller name, then the smaller digest (a total order).
 */
import type { WireRecord } from './codec/wire.js';
import { recordDigest } from './digest.js';

export function beats(a: WireRecord, b: WireRecord): boolean {
  const ca = a.confirmed ?? true;
  const cb = b.confirmed ?? true;
  if (ca !== cb) return ca;
  if (a.registeredAt !== b.registeredAt) return a.registeredAt < b.registeredAt;
  if (a.addr !== b.addr) return a.addr < b.addr;
  if (a.name !== b.name) return a.name < b.name;
  return recordDigest(a) < recordDigest(b);
}

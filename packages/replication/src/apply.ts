/**
 * Applying what other boxes send (pushes and fetched pages): every record and removal is checked
 * here, outside the write lock, then the good ones go into the registry in one write.
 */
import { decodeTombstone, decodeWireRecord, type Tombstone, type WireRecord } from './codec/wire.js';
import type { Peer, ReplicationContext } from './context.js';
import { recordDigest } from './digest.js';
import { place, prefetch } from './placement.js';
import { applyRemoval, verifyTombstone } from './removals.js';

/** Entries fetched and refused, remembered so that each exchange does not fetch them again. */
const MAX_REFUSED = 10_000;

/** Verifies a batch outside the lock, then applies it under the lock in one registry write. */
export async function applyBatch(
  ctx: ReplicationContext,
  records: readonly unknown[],
  removals: readonly unknown[],
  source: string,
  peer: Peer | undefined,
): Promise<{ accepted: number; refused: number; bad: number }> {
  const { counters, opts, refused } = ctx;
  const now = ctx.clock.now();
  let bad = 0;
  const goodRecords: WireRecord[] = [];
  const goodRemovals: Tombstone[] = [];
  for (const raw of records) {
    counters.recordsReceived += 1;
    const r = decodeWireRecord(raw);
    if (!r.ok) {
      counters.malformed += 1;
      bad += 1;
    } else if (ctx.access?.verify(r.value) !== true) {
      counters.badRecords += 1;
      bad += 1;
    } else goodRecords.push(r.value);
  }
  for (const raw of removals) {
    const t = decodeTombstone(raw);
    if (!t.ok) {
      counters.malformed += 1;
      bad += 1;
    } else if (!verifyTombstone(ctx, t.value)) {
      counters.removalsRefused += 1;
      if (opts.siteKey !== undefined) bad += 1;
    } else goodRemovals.push(t.value);
  }
  if (bad > 0 && ctx.limits.bad(source, bad, now)) ctx.logger?.warn({ source }, 'box blocked: too many records failing verification');
  if (ctx.access === undefined || (goodRecords.length === 0 && goodRemovals.length === 0))
    return { accepted: 0, refused: records.length + removals.length, bad };
  const a = ctx.access;
  let accepted = 0;
  await a.exclusive(async (tx) => {
    for (const t of goodRemovals) if (await applyRemoval(ctx, tx, t)) accepted += 1;
    const pending = await prefetch(tx, goodRecords);
    for (const r of goodRecords) {
      const outcome = await place(ctx, tx, pending, r);
      if (outcome === 'accepted') accepted += 1;
      else if (outcome === 'unchanged') counters.recordsUnchanged += 1;
      else if (outcome === 'full') counters.overLimit += 1;
      if (outcome === 'lost' || outcome === 'removed' || outcome === 'full') {
        if (refused.size >= MAX_REFUSED) refused.clear();
        refused.set(`${r.name} ${recordDigest(r)}`, true);
      }
    }
    const batch = [...pending.byName.values()];
    if (batch.length > 0) await tx.insert(batch);
    for (const r of batch) {
      ctx.index.set(r.name, recordDigest(r));
      const res = ctx.reservations.get(r.name);
      if (res?.addr === r.addr) ctx.reservations.delete(r.name);
    }
    counters.recordsAccepted += batch.length;
  });
  if (peer !== undefined) peer.received += accepted;
  return { accepted, refused: records.length + removals.length - accepted, bad };
}

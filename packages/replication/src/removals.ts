/**
 * Operator removals as tombstones authenticated with the site key: made here when the name
 * server removes a record, checked and applied when another box sends them.
 */
import type { NameRecord, RegistryWriter } from '@lanbox/nameserver';
import type { Tombstone, WireRecord } from './codec/wire.js';
import { track, type ReplicationContext } from './context.js';
import { tombstoneDigest, tombstoneMac } from './digest.js';

export function verifyTombstone(ctx: ReplicationContext, t: Tombstone): boolean {
  if (ctx.opts.siteKey === undefined) return false;
  const expected = tombstoneMac(ctx.opts.siteKey, t);
  return expected === t.mac;
}

export function removedBy(ctx: ReplicationContext, r: WireRecord): boolean {
  const t = ctx.tombstones.get(`${r.name}/${r.addr}`);
  return t !== undefined && r.registeredAt <= t.removedAt;
}

/** A local removal: the tombstone to send, or undefined without a site key (removals stay local). */
export function recordRemoval(ctx: ReplicationContext, record: NameRecord): Tombstone | undefined {
  const { opts, index, tombstones } = ctx;
  index.delete(record.name);
  if (opts.siteKey === undefined) return undefined;
  const body = { name: record.name, addr: record.addr, removedAt: Math.max(ctx.clock.now(), record.registeredAt) };
  const t: Tombstone = { ...body, mac: tombstoneMac(opts.siteKey, body) };
  const key = `${t.name}/${t.addr}`;
  tombstones.set(key, t);
  index.set(key, tombstoneDigest(t));
  void track(ctx, ctx.saved.putTombstone(t)).catch((err: unknown) => ctx.logger?.error({ err }, 'could not save a removal'));
  return t;
}

/** Applies one verified removal under the write lock; false when it was known already or no room is left. */
export async function applyRemoval(ctx: ReplicationContext, tx: RegistryWriter, t: Tombstone): Promise<boolean> {
  const { tombstones, index } = ctx;
  const key = `${t.name}/${t.addr}`;
  if (tombstones.get(key)?.mac === t.mac) return false;
  if (tombstones.size >= ctx.opts.maxTombstones && !tombstones.has(key)) return false;
  await ctx.saved.putTombstone(t);
  tombstones.set(key, t);
  index.set(key, tombstoneDigest(t));
  const current = await tx.get(t.name);
  if (current !== undefined && current.addr === t.addr && current.registeredAt <= t.removedAt) {
    await tx.remove(t.name);
    index.delete(t.name);
  }
  ctx.counters.removalsApplied += 1;
  return true;
}

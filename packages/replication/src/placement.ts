/**
 * Placing a verified record from another box into the registry: the conflict rule (conflict.ts)
 * against whatever holds its name or its Jami ID, and keeping the records acknowledged here that lost.
 */
import type { RegistryWriter } from '@lanbox/nameserver';
import { toWire, type WireRecord } from './codec/wire.js';
import { beats } from './conflict.js';
import type { ReplicationContext } from './context.js';
import { recordDigest } from './digest.js';
import { removedBy } from './removals.js';
import type { Conflict } from './state.js';

async function saveConflict(ctx: ReplicationContext, lost: WireRecord, winner: WireRecord): Promise<void> {
  const c: Conflict = {
    name: lost.name,
    lost,
    winner: { name: winner.name, addr: winner.addr, origin: winner.origin ?? null, registeredAt: winner.registeredAt, confirmed: winner.confirmed ?? true },
    resolvedAt: ctx.clock.now(),
  };
  ctx.conflictsLost += 1;
  if (ctx.conflicts.length >= ctx.opts.maxConflicts) return;
  ctx.conflicts = [c, ...ctx.conflicts];
  await ctx.saved.putConflict(c);
  ctx.logger?.warn({ name: lost.name, lostAddr: lost.addr, winnerAddr: winner.addr }, 'name conflict: a registration acknowledged here lost');
}

/**
 * Records about to be inserted by this batch, and what the registry held for the batch's names
 * and addresses, read all at once before placing (one read at a time would leave the box idle).
 */
export interface Pending {
  byName: Map<string, WireRecord>;
  byAddr: Map<string, string>;
  stored: Map<string, WireRecord | undefined>;
  storedAddrs: Map<string, string | undefined>;
}

export async function prefetch(tx: RegistryWriter, records: readonly WireRecord[]): Promise<Pending> {
  const [names, addrs] = await Promise.all([Promise.all(records.map((r) => tx.get(r.name))), Promise.all(records.map((r) => tx.nameOf(r.addr)))]);
  const pending: Pending = { byName: new Map(), byAddr: new Map(), stored: new Map(), storedAddrs: new Map() };
  records.forEach((r, i) => {
    const stored = names[i];
    pending.stored.set(r.name, stored === undefined ? undefined : toWire(stored));
    pending.storedAddrs.set(r.addr, addrs[i]);
  });
  return pending;
}

async function holder(tx: RegistryWriter, pending: Pending, name: string): Promise<WireRecord | undefined> {
  if (pending.byName.has(name)) return pending.byName.get(name);
  if (pending.stored.has(name)) return pending.stored.get(name);
  const r = await tx.get(name);
  return r === undefined ? undefined : toWire(r);
}

async function addrHolder(tx: RegistryWriter, pending: Pending, addr: string): Promise<string | undefined> {
  if (pending.byAddr.has(addr)) return pending.byAddr.get(addr);
  if (pending.storedAddrs.has(addr)) return pending.storedAddrs.get(addr);
  return tx.nameOf(addr);
}

/** Places one verified record under the write lock; losers are removed (and kept if acknowledged here). */
export async function place(
  ctx: ReplicationContext,
  tx: RegistryWriter,
  pending: Pending,
  r: WireRecord,
): Promise<'accepted' | 'unchanged' | 'lost' | 'removed' | 'full'> {
  const { counters, self } = ctx;
  if (removedBy(ctx, r)) return 'removed';
  const digest = recordDigest(r);
  const byName = await holder(tx, pending, r.name);
  if (byName !== undefined && recordDigest(byName) === digest) return 'unchanged';
  const rivals: WireRecord[] = [];
  if (byName !== undefined) rivals.push(byName);
  const addrName = await addrHolder(tx, pending, r.addr);
  if (addrName !== undefined && addrName !== r.name) {
    const byAddr = await holder(tx, pending, addrName);
    if (byAddr !== undefined) rivals.push(byAddr);
  }
  const stronger = rivals.find((rival) => !beats(r, rival));
  if (stronger !== undefined) {
    if (r.origin === self) await saveConflict(ctx, r, stronger);
    counters.recordsLost += 1;
    if (r.addr !== stronger.addr || r.name !== stronger.name) counters.conflictsResolved += 1;
    return 'lost';
  }
  if (rivals.length === 0 && tx.count() + pending.byName.size >= (ctx.access?.maxNames ?? Infinity)) return 'full';
  for (const rival of rivals) {
    if (pending.byName.get(rival.name) === rival) {
      pending.byName.delete(rival.name);
      pending.byAddr.delete(rival.addr);
    } else {
      await tx.remove(rival.name);
    }
    // Stored state changed: later records of this batch must not see the removed one.
    pending.stored.set(rival.name, undefined);
    pending.storedAddrs.set(rival.addr, undefined);
    ctx.index.delete(rival.name);
    if (rival.addr !== r.addr || rival.name !== r.name) {
      counters.conflictsResolved += 1;
      if (rival.origin === self) await saveConflict(ctx, rival, r);
    }
  }
  pending.byName.set(r.name, r);
  pending.byAddr.set(r.addr, r.name);
  return 'accepted';
}

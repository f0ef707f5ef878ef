/**
 * Reservations: before a local registration is acknowledged, every reachable box holds the name
 * (and the Jami ID) for it for `reservationTtlMs`, so that two boxes do not hand out one name at once.
 */
import type { RegistryAccess } from '@lanbox/nameserver';
import type { WireRecord } from './codec/wire.js';
import { API_PREFIX, type Peer, type ReplicationContext } from './context.js';
import { headers, markDown, markUp } from './peers.js';

export function reservedForOther(ctx: ReplicationContext, name: string, addr: string, now: number): boolean {
  const { reservations } = ctx;
  const res = reservations.get(name);
  if (res !== undefined && res.until > now && res.addr !== addr) return true;
  for (const [n, r] of reservations) if (r.until > now && r.addr === addr && n !== name) return true;
  return false;
}

export function prune(ctx: ReplicationContext, now: number): void {
  for (const [n, r] of ctx.reservations) if (r.until <= now) ctx.reservations.delete(n);
}

/** Asks one box to reserve the name for this record (the registering side). */
export async function askPeer(ctx: ReplicationContext, peer: Peer, record: WireRecord): Promise<'ok' | 'refused' | 'unreachable'> {
  try {
    const res = await ctx.client.request(peer, 'POST', `${API_PREFIX}/reserve`, { record }, headers(ctx), ctx.opts.reserveTimeoutMs);
    if (res.status === 200 && typeof res.body === 'object' && res.body !== null) {
      const ok = (res.body as Record<string, unknown>)['ok'];
      if (ok === true) {
        markUp(ctx, peer, peer.dhtPort);
        return 'ok';
      }
      if (ok === false) return 'refused';
    }
    throw new Error(`reserve: HTTP ${res.status}`);
  } catch (err) {
    markDown(ctx, peer, err);
    return 'unreachable';
  }
}

/** Reserves the name for another box's registration, unless held or reserved for someone else (the asked side). */
export async function reserve(ctx: ReplicationContext, record: WireRecord): Promise<boolean> {
  const { clock } = ctx;
  const a = ctx.access as RegistryAccess;
  const now = clock.now();
  prune(ctx, now);
  const byName = await a.get(record.name);
  if (byName !== undefined) return byName.addr === record.addr;
  const held = await a.nameOf(record.addr);
  if (held !== undefined && held !== record.name) return false;
  // Checked again after the reads: nothing else ran in between the check and the reservation.
  if (reservedForOther(ctx, record.name, record.addr, clock.now())) return false;
  ctx.reservations.set(record.name, { addr: record.addr, until: clock.now() + ctx.opts.reservationTtlMs });
  return true;
}

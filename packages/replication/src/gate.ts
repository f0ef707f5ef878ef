/**
 * The gate local registrations pass through in the name server: reserve the name at every
 * reachable box before acknowledging, then push the record (or the removal) to them at once.
 */
import type { GateVerdict, RegistrationGate } from '@lanbox/nameserver';
import { toWire, type Tombstone, type WireRecord } from './codec/wire.js';
import { track, type ReplicationContext } from './context.js';
import { recordDigest } from './digest.js';
import { call, markDown } from './peers.js';
import { recordRemoval } from './removals.js';
import { askPeer, prune, reservedForOther } from './reservations.js';

/** Sends to every reachable box at once; resolves when each answered or failed (a failure marks it down). */
function push(ctx: ReplicationContext, records: WireRecord[], removals: Tombstone[], timeoutMs = ctx.opts.requestTimeoutMs): Promise<void> {
  const sends = ctx.peers
    .filter((peer) => peer.state !== 'down')
    .map((peer) => {
      ctx.counters.pushesSent += 1;
      return track(
        ctx,
        call(ctx, peer, 'POST', '/push', { records, tombstones: removals }, timeoutMs).then(
          () => undefined,
          (err: unknown) => {
            ctx.counters.pushFailures += 1;
            markDown(ctx, peer, err);
          },
        ),
      );
    });
  return Promise.all(sends).then(() => undefined);
}

export function createGate(ctx: ReplicationContext): RegistrationGate {
  const { opts, clock, counters, reservations, peers, index } = ctx;
  return {
    async admit(record): Promise<GateVerdict> {
      const now = clock.now();
      prune(ctx, now);
      if (reservedForOther(ctx, record.name, record.addr, now)) {
        counters.refusedByPeers += 1;
        return { ok: false };
      }
      reservations.set(record.name, { addr: record.addr, until: now + opts.reservationTtlMs });
      const wire = toWire(record);
      const down = peers.filter((p) => p.state === 'down').length;
      const answers = await Promise.all(peers.filter((p) => p.state !== 'down').map((p) => askPeer(ctx, p, wire)));
      if (answers.includes('refused')) {
        reservations.delete(record.name);
        counters.refusedByPeers += 1;
        return { ok: false };
      }
      const confirmed = down === 0 && answers.every((a) => a === 'ok');
      if (!confirmed) counters.unconfirmed += 1;
      return { ok: true, origin: ctx.self, confirmed };
    },
    async registered(record) {
      const wire = toWire(record);
      index.set(record.name, recordDigest(wire));
      reservations.delete(record.name);
      // Awaited: a client told "registered" can look the name up at any reachable box at once.
      await push(ctx, [wire], [], opts.reserveTimeoutMs);
    },
    imported(records) {
      for (const r of records) index.set(r.name, recordDigest(toWire(r)));
    },
    removed(record) {
      const t = recordRemoval(ctx, record);
      if (t !== undefined) void push(ctx, [], [t]);
    },
  };
}

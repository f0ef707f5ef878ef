/**
 * Listener notifications (§8): `update` requests for listeners that sent `ve: 1` (acknowledged,
 * retransmitted, fragmented when large), legacy replies / `u` messages for the others.
 */
import type { InfoHash, Value } from '../codec/types.js';
import type { Notification } from '../storage/index.js';
import { Peer } from '../routing/peer.js';
import type { RoutingTable } from '../routing/table.js';
import type { Engine } from './engine.js';
import type { TokenIssuer } from './tokens.js';

/** Values per `update` request are capped at this many packed bytes, like OpenDHT ≥ 2.5 does. */
export const UPDATE_BATCH_BYTES = 56 * 1024;

/** Split values into runs whose packed sizes stay under the batch limit (one value per run at least). */
function batches(values: Value[]): Value[][] {
  const out: Value[][] = [];
  let current: Value[] = [];
  let bytes = 0;
  for (const v of values) {
    if (current.length > 0 && bytes + v.packed.length > UPDATE_BATCH_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(v);
    bytes += v.packed.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export interface NotifierDeps {
  engine: Engine;
  tokens: TokenIssuer;
  tables: { 4: RoutingTable; 6: RoutingTable };
  randomUint32: () => number;
}

export function createNotifier(deps: NotifierDeps): (notifications: Notification[]) => void {
  const { engine, tokens, tables } = deps;
  const ownId: InfoHash = engine.ownId;

  return (notifications) => {
    for (const { subscriber: sub, key, event } of notifications) {
      const ctx = { family: sub.family, address: sub.address, port: sub.port, tid: sub.socketId };
      const token = tokens.issue(sub.address, sub.port);
      if (sub.version >= 1) {
        // The listener is addressed as a node so the update's tid comes from its counter and its
        // acknowledgement is matched by (id, tid).
        let peer = tables[sub.family].get(sub.node);
        if (!peer || peer.address !== sub.address || peer.port !== sub.port) {
          peer = new Peer(sub.node, sub.family, sub.address, sub.port, deps.randomUint32());
        }
        const common = { type: 'update' as const, id: ownId, socketId: sub.socketId };
        if (event.kind === 'values') {
          for (const values of batches(event.values)) {
            engine.request(peer, { ...common, key, version: 1, values: { kind: 'inline', values }, token }, () => {});
          }
        } else if (event.kind === 'refreshed') {
          engine.request(peer, { ...common, token, refreshed: event.ids }, () => {});
        } else {
          engine.request(peer, { ...common, token, expired: event.ids }, () => {});
        }
      } else if (event.kind === 'values') {
        engine.reply(ctx, { id: ownId, seenAddress: sub.address, token, values: { kind: 'inline', values: event.values } });
      } else if (event.kind === 'refreshed') {
        engine.legacyUpdate(ctx, { id: ownId, token, refreshed: event.ids });
      } else {
        engine.legacyUpdate(ctx, { id: ownId, token, expired: event.ids });
      }
    }
  };
}

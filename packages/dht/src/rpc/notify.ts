/**
 * Listener notifications (§8): `update` requests for listeners that sent `ve: 1` (acknowledged,
 * retransmitted, fragmented when large), legacy replies / `u` messages for the others.
 */
import type { InfoHash, Request, Value } from '../codec/types.js';
import { packedSize } from '../codec/fragment.js';
import type { DhtCounters } from '../node-types.js';
import type { RemoteNotification } from '../storage/index.js';
import { Peer } from '../routing/peer.js';
import type { RoutingTable } from '../routing/table.js';
import type { Engine } from './engine.js';
import type { TokenIssuer } from './tokens.js';

/** Values per `update` request are capped at this many packed bytes, like OpenDHT ≥ 2.5 does. */
export const UPDATE_BATCH_BYTES = 56 * 1024;

/**
 * Unacknowledged `update` requests allowed per listener IP address. A listener answers each update
 * within a round trip, so only a silent one reaches this; without a cap, one host holding many
 * subscriptions (one token, many sids) and never answering would fill the transaction table with
 * retransmitted updates and stop every other request of the node. Per address, not per /64: on an
 * offline LAN every IPv6 client shares fe80::/64, and a put on a key many of them listen to must
 * reach them all. Generous, since a client that subscribes to many keys at once gets one update
 * per key holding values before it can answer the first.
 */
export const MAX_UPDATES_IN_FLIGHT_PER_ADDRESS = 256;

/** Split values into runs whose packed sizes stay under the batch limit (one value per run at least). */
function batches(values: Value[]): Value[][] {
  const out: Value[][] = [];
  let current: Value[] = [];
  let bytes = 0;
  for (const v of values) {
    if (current.length > 0 && bytes + packedSize(v) > UPDATE_BATCH_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(v);
    bytes += packedSize(v);
  }
  if (current.length > 0) out.push(current);
  return out;
}

export interface NotifierDeps {
  engine: Engine;
  tokens: TokenIssuer;
  tables: { 4: RoutingTable; 6: RoutingTable };
  randomUint32: () => number;
  counters: DhtCounters;
  /** The engine's transaction limit: updates may use at most half of it. */
  maxTransactions: number;
}

export function createNotifier(deps: NotifierDeps): (notifications: RemoteNotification[]) => void {
  const { engine, tokens, tables } = deps;
  const ownId: InfoHash = engine.ownId;
  const inFlight = new Map<string, number>();
  let inFlightTotal = 0;

  /** Send an update unless its listener's address (or all listeners) already have too many unanswered. */
  function sendUpdate(peer: Peer, request: Request): void {
    const source = peer.address;
    const pending = inFlight.get(source) ?? 0;
    if (pending >= MAX_UPDATES_IN_FLIGHT_PER_ADDRESS || inFlightTotal >= deps.maxTransactions / 2) {
      deps.counters.dropped.updatesThrottled++;
      return;
    }
    inFlight.set(source, pending + 1);
    inFlightTotal++;
    const done = (): void => {
      inFlightTotal--;
      const left = (inFlight.get(source) ?? 1) - 1;
      if (left > 0) inFlight.set(source, left);
      else inFlight.delete(source);
    };
    if (!engine.request(peer, request, done)) done();
  }

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
            sendUpdate(peer, { ...common, key, version: 1, values: { kind: 'inline', values }, token });
          }
        } else if (event.kind === 'refreshed') {
          sendUpdate(peer, { ...common, token, refreshed: event.ids });
        } else {
          sendUpdate(peer, { ...common, token, expired: event.ids });
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

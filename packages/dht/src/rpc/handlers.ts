/**
 * One handler per request type (§7): each turns a decoded request into storage calls and the
 * exact reply (or error) OpenDHT would send.
 */
import { isZeroId, xorCompare } from '../codec/infohash.js';
import type { Family, InfoHash, Reply, Request } from '../codec/types.js';
import { ErrorCode } from '../codec/types.js';
import type { Notification, ValueStore } from '../storage/index.js';
import type { RoutingTable } from '../routing/table.js';
import type { Peer } from '../routing/peer.js';
import type { DhtCounters } from '../node-types.js';
import type { Engine, RequestContext } from './engine.js';
import { capFields, capValues } from './reply-limits.js';
import type { TokenIssuer } from './tokens.js';

/** Nodes per family in a find/get reply (`SEND_NODES`). */
export const SEND_NODES = 8;
/** Nodes looked at by the "too far" check (`SEARCH_NODES`). */
const TOO_FAR_NODES = 14;

export interface HandlerDeps {
  engine: Engine;
  storage: ValueStore;
  tokens: TokenIssuer;
  tables: { 4: RoutingTable; 6: RoutingTable };
  now: () => number;
  rejectTooFar: boolean;
  /** Packed value bytes one get reply carries at most (one value always goes). */
  maxGetReplyBytes: number;
  /** Rows one `fileds` reply carries at most. */
  maxSelectRows: number;
  counters: DhtCounters;
  /** Deliver storage notifications to their listeners. */
  notify: (notifications: Notification[]) => void;
  /** An `update` request addressed to one of our listens. */
  onUpdate: (from: Peer, request: Request & { type: 'update' }) => void;
}

type Req<T extends Request['type']> = Request & { type: T };

export function createRequestHandler(deps: HandlerDeps): (ctx: RequestContext, request: Request) => void {
  const { engine, storage, tokens, tables } = deps;
  const ownId = engine.ownId;
  const isGood = (p: Peer): boolean => p.isGood(deps.now());

  /** `{id, sa}` — every reply starts with these. */
  const base = (ctx: RequestContext): Reply => ({ id: ownId, seenAddress: ctx.address });

  /** find/get reply body: closest good nodes for each wanted family, and a token (§7.2). */
  function nodesReply(ctx: RequestContext, target: InfoHash, want: Family[] | undefined): Reply {
    const reply = base(ctx);
    // One clock reading for the whole table walk (it ran once per node).
    const now = deps.now();
    // Peer has the NodeRecord shape (id, address, port): no copy needed.
    if (want === undefined ? ctx.family === 4 : want.includes(4)) {
      const nodes = tables[4].closestGood(target, SEND_NODES, now);
      if (nodes.length > 0) reply.nodes4 = nodes;
    }
    if (want === undefined ? ctx.family === 6 : want.includes(6)) {
      const nodes = tables[6].closestGood(target, SEND_NODES, now);
      if (nodes.length > 0) reply.nodes6 = nodes;
    }
    reply.token = tokens.issue(ctx.address, ctx.port);
    return reply;
  }

  /** OpenDHT's "too far" rule (§7.4 step 1): at least 8 good nodes closer to the key than we are. */
  function tooFar(family: Family, key: InfoHash): boolean {
    const closest = tables[family].closest(key, TOO_FAR_NODES, isGood);
    if (closest.length < SEND_NODES) return false;
    return xorCompare(closest[closest.length - 1]!.id, ownId, key) < 0;
  }

  const handlers: { [T in Request['type']]: (ctx: RequestContext, request: Req<T>) => void } = {
    ping(ctx) {
      engine.reply(ctx, base(ctx));
    },

    find(ctx, request) {
      engine.reply(ctx, nodesReply(ctx, request.target, request.want));
    },

    get(ctx, request) {
      const key = request.key;
      if (!key || isZeroId(key)) {
        engine.error(ctx, ErrorCode.noInfoHash, 'Get_values with no info_hash');
        return;
      }
      const reply = nodesReply(ctx, key, request.want);
      const query = request.query;
      // Both answers are capped (see reply-limits.ts): a spoofed get must not turn into megabytes.
      if (query && query.select.length > 0) {
        const capped = capFields(storage.select(key, query), deps.maxSelectRows);
        if (capped.truncated) deps.counters.selectRepliesTruncated++;
        if (capped.fields.values.length > 0) reply.fields = capped.fields;
      } else {
        const capped = capValues(storage.getPacked(key, query), deps.maxGetReplyBytes);
        if (capped.truncated) deps.counters.getRepliesTruncated++;
        if (capped.values.length > 0) reply.values = { kind: 'inline', values: capped.values };
      }
      engine.reply(ctx, reply);
    },

    put(ctx, request) {
      const key = request.key;
      if (!key || isZeroId(key)) {
        engine.error(ctx, ErrorCode.noInfoHash, 'Put with no info_hash');
        return;
      }
      if (!tokens.check(request.token, ctx.address, ctx.port)) {
        engine.error(ctx, ErrorCode.unauthorized, 'Put with wrong token');
        return;
      }
      // Fragmented values arrive here already reassembled; an empty list gets no answer.
      const values = request.values.kind === 'inline' ? request.values.values : [];
      if (values.length === 0) return;
      for (const v of values) {
        if (v.id === 0n) {
          engine.error(ctx, ErrorCode.noInfoHash, 'Put with invalid id');
          return;
        }
      }
      const now = deps.now();
      const store = !(deps.rejectTooFar && tooFar(ctx.family, key));
      const createdMs = request.created !== undefined ? Math.min(request.created * 1000, now) : undefined;
      for (const value of values) {
        if (!store) continue;
        const { outcome, notifications } = storage.put(key, value, { createdMs, source: ctx.address });
        if (notifications.length > 0) deps.notify(notifications);
        // Only a value this node keeps is acknowledged. OpenDHT acknowledges every put (§7.4), so
        // a putter would count a refused value as stored and not look for another node; without
        // an answer it retries, gives up on us for this put, and stores elsewhere. Refusals are
        // counted by reason in the storage's `rejected`.
        if (outcome.result !== 'rejected') engine.reply(ctx, { id: ownId, valueId: value.id, seenAddress: ctx.address });
      }
    },

    refresh(ctx, request) {
      if (!tokens.check(request.token, ctx.address, ctx.port)) {
        engine.error(ctx, ErrorCode.unauthorized, 'Refresh with wrong token');
        return;
      }
      if (request.valueId === undefined) return;
      const result = request.key ? storage.refresh(request.key, request.valueId) : { result: 'no-storage' as const, notifications: [] };
      if (result.result === 'no-storage') {
        engine.error(ctx, ErrorCode.notFound, 'Access operation for unknown storage');
        return;
      }
      if (result.notifications.length > 0) deps.notify(result.notifications);
      engine.reply(ctx, { id: ownId, valueId: request.valueId, seenAddress: ctx.address });
    },

    listen(ctx, request) {
      const key = request.key;
      if (!key || isZeroId(key)) {
        engine.error(ctx, ErrorCode.noInfoHash, 'Listen with no info_hash');
        return;
      }
      // The confirmation carries the requester's current token: issued once, checked against.
      const token = tokens.issue(ctx.address, ctx.port);
      if (!tokens.check(request.token, ctx.address, ctx.port, token)) {
        engine.error(ctx, ErrorCode.unauthorized, 'Listen with wrong token');
        return;
      }
      const subscriber = {
        node: request.id,
        address: ctx.address,
        port: ctx.port,
        family: ctx.family,
        socketId: request.socketId,
        version: request.version,
        query: request.query,
      };
      const values = storage.listen(key, subscriber);
      // Like OpenDHT ≥ 3.7.4: the confirmation carries a fresh token.
      engine.reply(ctx, { id: ownId, seenAddress: ctx.address, token });
      if (values.length > 0) deps.notify([{ subscriber, key, event: { kind: 'values', values } }]);
    },

    update(ctx, request) {
      // Always acknowledged, subscription or not (§8.2), else the storer retransmits.
      engine.reply(ctx, base(ctx));
      deps.onUpdate(ctx.peer, request);
    },
  };

  return (ctx, request) => {
    (handlers[request.type] as (ctx: RequestContext, request: Request) => void)(ctx, request);
  };
}

/**
 * The boxes this box replicates with: learning them (configured, discovered, contacted,
 * remembered), telling them apart by id, their reachability, and calling their routes.
 */
import { API_PREFIX, type Peer, type ReplicationContext } from './context.js';
import type { PeerAddress } from './transport/client.js';

export function newPeer(host: string, port: number, source: Peer['source'], id: string | null): Peer {
  return {
    id,
    host,
    port,
    source,
    state: 'unknown',
    lastContact: null,
    lastSync: null,
    lastError: null,
    nextSyncAt: 0,
    syncing: null,
    dhtPort: null,
    received: 0,
  };
}

export function headers(ctx: ReplicationContext): Record<string, string> {
  const port = ctx.components.self.webPort();
  return { 'x-lanbox-box': ctx.self, ...(port !== undefined ? { 'x-lanbox-port': String(port) } : {}) };
}

export async function call(
  ctx: ReplicationContext,
  peer: PeerAddress,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = ctx.opts.requestTimeoutMs,
): Promise<unknown> {
  const res = await ctx.client.request(peer, method, `${API_PREFIX}${path}`, body, headers(ctx), timeoutMs);
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  return res.body;
}

/** Adds or updates a box heard of; an IPv4 address is preferred to an IPv6 one for the same box. */
export function learn(ctx: ReplicationContext, host: string, port: number, id: string, source: Peer['source']): void {
  const { peers } = ctx;
  if (id === ctx.self) return;
  const known = peers.find((p) => p.id === id);
  if (known !== undefined) {
    const betterAddress = known.host.includes(':') && !host.includes(':');
    if (known.source !== 'configured' && (betterAddress || (known.host.includes(':') === host.includes(':') && (known.host !== host || known.port !== port)))) {
      known.host = host;
      known.port = port;
    }
    if (known.state === 'down' && source !== 'remembered') known.nextSyncAt = Math.min(known.nextSyncAt, ctx.clock.now());
    return;
  }
  if (peers.some((p) => p.id === null && p.host === host && p.port === port)) return;
  if (peers.length >= ctx.opts.maxPeers) {
    ctx.counters.peersRefused += 1;
    return;
  }
  peers.push(newPeer(host, port, source, id));
  ctx.logger?.info({ box: id, host, port, source }, 'new box');
}

export function identify(ctx: ReplicationContext, peer: Peer, id: string): boolean {
  const { peers } = ctx;
  if (id === ctx.self) {
    // A configured address that is this box: nothing to replicate with.
    peers.splice(peers.indexOf(peer), 1);
    return false;
  }
  if (peer.id === id) return true;
  const twin = peers.find((p) => p !== peer && p.id === id);
  if (twin !== undefined) {
    peer.lastSync = peer.lastSync ?? twin.lastSync;
    peers.splice(peers.indexOf(twin), 1);
  }
  peer.id = id;
  return true;
}

export function markUp(ctx: ReplicationContext, peer: Peer, dhtPort: number | null): void {
  const now = ctx.clock.now();
  const wasUp = peer.state === 'up';
  peer.state = 'up';
  peer.lastContact = now;
  peer.lastError = null;
  if (dhtPort !== null && (!wasUp || dhtPort !== peer.dhtPort)) {
    peer.dhtPort = dhtPort;
    try {
      ctx.components.onPeer?.(peer.host, dhtPort);
    } catch (err) {
      ctx.logger?.warn({ err: (err as Error).message }, 'onPeer failed');
    }
  }
  if (!wasUp) ctx.logger?.info({ box: peer.id, host: peer.host }, 'box reachable');
}

export function markDown(ctx: ReplicationContext, peer: Peer, err: unknown): void {
  if (peer.state !== 'down') ctx.logger?.warn({ box: peer.id, host: peer.host, err: (err as Error).message }, 'box unreachable');
  peer.state = 'down';
  peer.lastError = (err as Error).message ?? String(err);
  peer.nextSyncAt = ctx.clock.now() + ctx.opts.retryIntervalMs;
}

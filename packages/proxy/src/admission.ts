/**
 * Per-client-address accounting (connections, listens, subscriptions, permanent puts) and the
 * connection admission that enforces the global and per-address connection limits.
 */
import type { Socket } from 'node:net';
import type { ProxyContext } from './context.js';

/** `::ffff:a.b.c.d` and `a.b.c.d` are one client. */
export const clientOf = (socket: Socket): string => (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');

export const slot = (ctx: ProxyContext, address: string) => {
  let s = ctx.perAddress.get(address);
  if (s === undefined) {
    s = { connections: 0, listens: 0, subs: 0, puts: 0 };
    ctx.perAddress.set(address, s);
  }
  return s;
};
export const release = (ctx: ProxyContext, address: string) => {
  const s = ctx.perAddress.get(address);
  if (s && s.connections === 0 && s.listens === 0 && s.subs === 0 && s.puts === 0) ctx.perAddress.delete(address);
};

export const admitConnection = (ctx: ProxyContext, socket: Socket) => {
  const address = clientOf(socket);
  const s = slot(ctx, address);
  if (ctx.connectionCount >= ctx.o.maxConnections || s.connections >= ctx.o.maxConnectionsPerAddress) {
    ctx.counters.refused.connections++;
    release(ctx, address);
    socket.destroy();
    return;
  }
  ctx.connectionCount++;
  s.connections++;
  socket.setNoDelay(true);
  socket.once('close', () => {
    ctx.connectionCount--;
    s.connections--;
    release(ctx, address);
  });
};

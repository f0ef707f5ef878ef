import { createSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Socket } from 'node:net';
import type { TransportAddress } from '../codec/address.js';

/**
 * Peers the probe owns, so a relayed round trip proves the relay works without involving anyone
 * else. They echo only traffic coming from the allocation's relayed address, and only a bounded
 * amount: they live for one probe cycle.
 */
const MAX_ECHOES = 16;
const MAX_DATAGRAM = 2048;
const MAX_TCP_CONNECTIONS = 4;
const MAX_TCP_BYTES = 4096;

export interface EchoPeer {
  readonly address: TransportAddress;
  /** Echo only traffic whose source IP is this (the relayed address). */
  allowFrom(ip: string): void;
  close(): Promise<void>;
}

export interface TcpEchoPeer extends EchoPeer {
  /** Opens a connection to `target` (a relayed address) and echoes what comes back on it. */
  dial(target: TransportAddress, timeoutMs: number): Promise<void>;
}

function family(host: string): 'IPv4' | 'IPv6' {
  return isIPv6(host) ? 'IPv6' : 'IPv4';
}

export async function startUdpEchoPeer(host: string): Promise<EchoPeer> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  let allowed: string | undefined;
  let echoes = 0;
  socket.on('message', (msg, from) => {
    if (from.address !== allowed || msg.length > MAX_DATAGRAM || echoes >= MAX_ECHOES) return;
    echoes++;
    socket.send(msg, from.port, from.address);
  });
  socket.on('error', () => socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    address: { family: family(host), address: host, port: socket.address().port },
    allowFrom(ip) {
      allowed = ip;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function echoOn(socket: Socket): void {
  let bytes = 0;
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    if (bytes > MAX_TCP_BYTES) socket.destroy();
    else socket.write(chunk);
  });
  socket.on('error', () => socket.destroy());
}

export async function startTcpEchoPeer(host: string): Promise<TcpEchoPeer> {
  let allowed: string | undefined;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  let accepted = 0;
  const server = createServer((socket) => {
    if (socket.remoteAddress !== allowed || accepted >= MAX_TCP_CONNECTIONS) {
      socket.destroy();
      return;
    }
    accepted++;
    track(socket);
    echoOn(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    address: { family: family(host), address: host, port },
    allowFrom(ip) {
      allowed = ip;
    },
    async dial(target, timeoutMs) {
      const socket = connect({ host: target.address, port: target.port, localAddress: host });
      track(socket);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`peer could not reach the relayed address within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      echoOn(socket);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

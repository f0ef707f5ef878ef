/** The real transport: one dgram socket per family, bound with address reuse. */
import dgram from 'node:dgram';
import type { DiscoveryTransport, Family, FamilySocketOptions, LocalInterface, TransportHandlers } from './types.js';

/** Outgoing datagrams waiting per family; beyond this, sends fail (counted by the logic). */
const MAX_QUEUED_SENDS = 256;

interface Outgoing {
  readonly data: Uint8Array;
  readonly address: string;
  readonly port: number;
  /** For group sends: the multicast interface to select first. */
  readonly via?: string;
}

interface FamilySocket {
  readonly socket: dgram.Socket;
  readonly options: FamilySocketOptions;
  readonly handlers: TransportHandlers;
  readonly queue: Outgoing[];
  sending: boolean;
}

/** `setMulticastInterface`/`addMembership` take an address for IPv4 and `::%name` for IPv6. */
function interfaceSpec(family: Family, iface: LocalInterface): string {
  return family === 4 ? iface.address : `::%${iface.name}`;
}

export function createUdpTransport(): DiscoveryTransport {
  const sockets = new Map<Family, FamilySocket>();

  function get(family: Family): FamilySocket {
    const s = sockets.get(family);
    if (!s) throw new Error(`IPv${family} discovery socket is not open`);
    return s;
  }

  // Sends go one at a time: the multicast interface is socket state, and a send only reaches
  // the kernel after an asynchronous address lookup, so the next send must not switch the
  // interface before the previous one has left.
  function pump(s: FamilySocket, family: Family): void {
    if (s.sending) return;
    const next = s.queue.shift();
    if (!next) return;
    s.sending = true;
    try {
      if (next.via !== undefined) s.socket.setMulticastInterface(next.via);
      s.socket.send(next.data, next.port, next.address, (err) => {
        s.sending = false;
        if (err) s.handlers.onError(family, err);
        pump(s, family);
      });
    } catch (err) {
      s.sending = false;
      s.handlers.onError(family, err as Error);
      pump(s, family);
    }
  }

  function enqueue(family: Family, item: Outgoing): void {
    const s = get(family);
    if (s.queue.length >= MAX_QUEUED_SENDS) {
      s.handlers.onError(family, new Error('send queue full'));
      return;
    }
    s.queue.push(item);
    pump(s, family);
  }

  return {
    async open(family, options, handlers) {
      if (sockets.has(family)) throw new Error(`IPv${family} discovery socket already open`);
      const socket = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6', reuseAddr: true, ipv6Only: family === 6 });
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          socket.close();
          reject(err);
        };
        socket.once('error', onError);
        socket.bind({ port: options.port, exclusive: false }, () => {
          socket.off('error', onError);
          resolve();
        });
      });
      socket.on('error', (err) => handlers.onError(family, err));
      socket.on('message', (msg, rinfo) => {
        handlers.onDatagram({
          family,
          data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
          address: rinfo.address,
          port: rinfo.port,
        });
      });
      sockets.set(family, { socket, options, handlers, queue: [], sending: false });
    },

    join(family, iface) {
      const s = get(family);
      s.socket.addMembership(s.options.group, interfaceSpec(family, iface));
    },

    leave(family, iface) {
      const s = get(family);
      s.socket.dropMembership(s.options.group, interfaceSpec(family, iface));
    },

    sendToGroup(family, data, iface) {
      const s = get(family);
      enqueue(family, { data, address: s.options.group, port: s.options.port, via: interfaceSpec(family, iface) });
    },

    sendTo(family, data, address, port) {
      enqueue(family, { data, address, port });
    },

    async close(family) {
      const families = family === undefined ? [...sockets.keys()] : [family];
      await Promise.all(
        families.map(async (f) => {
          const s = sockets.get(f);
          if (!s) return;
          sockets.delete(f);
          s.queue.length = 0;
          await new Promise<void>((resolve) => s.socket.close(() => resolve()));
        }),
      );
    },
  };
}

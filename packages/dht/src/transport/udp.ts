import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Family } from '../codec/types.js';
import type { DatagramHandler, Transport } from './transport.js';

export interface UdpTransportOptions {
  /** Port for both families; 0 picks one port free in both. @default 4222 */
  port?: number;
  /** IPv4 bind address; `null` disables IPv4. @default '0.0.0.0' */
  bind4?: string | null;
  /** IPv6 bind address; `null` disables IPv6. The socket is IPv6-only. @default '::' */
  bind6?: string | null;
  /** Kernel receive buffer: bursts of requests must not be lost before we read them. @default 4194304 */
  receiveBufferBytes?: number;
  /** Datagrams larger than this are discarded on receipt. @default 65535 */
  maxDatagramBytes?: number;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
/** Attempts at finding a port free in both families when the port is 0. */
const PORT_PICK_ATTEMPTS = 16;

/**
 * We only ever send to IP literals: answer dgram's per-send address lookup synchronously instead
 * of going through dns.lookup and a nextTick for every datagram (a measurable share of the cost
 * of answering a ping).
 */
function literalLookup(address: string, _family: unknown, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

function bindSocket(family: Family, address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: family === 4 ? 'udp4' : 'udp6',
      ipv6Only: family === 6,
      reuseAddr: false,
      lookup: literalLookup as never,
    });
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** UDP sockets for IPv4 and IPv6 on one port; keeps working with a single family if the other cannot bind. */
export function createUdpTransport(options: UdpTransportOptions = {}): Transport {
  const requestedPort = options.port ?? 4222;
  const bind4 = options.bind4 === undefined ? '0.0.0.0' : options.bind4;
  const bind6 = options.bind6 === undefined ? '::' : options.bind6;
  const receiveBufferBytes = options.receiveBufferBytes ?? 4 * 1024 * 1024;
  const maxDatagramBytes = options.maxDatagramBytes ?? 65535;
  const sockets: { 4: Socket | null; 6: Socket | null } = { 4: null, 6: null };
  let handler: DatagramHandler = () => {};
  let sendErrors = 0;
  /**
   * The last sender record Node handed us, kept so that its shape outlives a memory-reducing GC:
   * Node builds it property by property, and once no record is alive such a GC frees the shape and
   * discards Node's compiled receive path (see src/rpc/recent-messages.ts).
   */
  const kept: { rinfo: RemoteInfo | undefined } = { rinfo: undefined };

  function attach(family: Family, socket: Socket): void {
    try {
      socket.setRecvBufferSize(receiveBufferBytes);
    } catch {
      // The kernel may cap the size (net.core.rmem_max); the default buffer still works.
    }
    socket.on('message', (msg, rinfo) => {
      kept.rinfo = rinfo;
      if (msg.length > maxDatagramBytes) return;
      let address = rinfo.address;
      let fam: Family = family;
      const mapped = family === 6 ? MAPPED_V4.exec(address) : null;
      if (mapped) {
        address = mapped[1]!;
        fam = 4;
      }
      handler(fam, address, rinfo.port, msg);
    });
    // Errors after bind (e.g. ICMP-triggered) must not crash the process.
    socket.on('error', () => {
      sendErrors++;
    });
    sockets[family] = socket;
  }

  async function tryBind(family: Family, address: string | null, port: number): Promise<Socket | null> {
    if (address === null) return null;
    try {
      return await bindSocket(family, address, port);
    } catch {
      return null;
    }
  }

  /** Sends at once (no callback: Node tries uv_udp_try_send instead of queueing); the socket used, or null if that family is closed. */
  const sendNow = (family: Family, address: string, port: number, bytes: Uint8Array): Socket | null => {
    const socket = sockets[family];
    if (!socket) {
      sendErrors++;
      return null;
    }
    socket.send(bytes, port, address);
    return socket;
  };

  return {
    async bind() {
      if (requestedPort !== 0) {
        const s4 = await tryBind(4, bind4, requestedPort);
        const s6 = await tryBind(6, bind6, requestedPort);
        if (s4) attach(4, s4);
        if (s6) attach(6, s6);
      } else {
        for (let attempt = 0; attempt < PORT_PICK_ATTEMPTS; attempt++) {
          const first: Family = bind4 !== null ? 4 : 6;
          const s1 = await tryBind(first, first === 4 ? bind4 : bind6, 0);
          if (!s1) {
            // The first family is unusable (e.g. no IPv4 address); try the other alone.
            const other: Family = first === 4 ? 6 : 4;
            const s = await tryBind(other, other === 4 ? bind4 : bind6, 0);
            if (s) attach(other, s);
            break;
          }
          const port = s1.address().port;
          const secondAddress = first === 4 ? bind6 : null;
          if (secondAddress === null) {
            attach(first, s1);
            break;
          }
          const s2 = await tryBind(6, secondAddress, port);
          if (s2) {
            attach(first, s1);
            attach(6, s2);
            break;
          }
          // Port taken for IPv6: if IPv6 works at all, pick another pair; otherwise run IPv4-only.
          const probe = await tryBind(6, secondAddress, 0);
          if (!probe) {
            attach(first, s1);
            break;
          }
          probe.close();
          s1.close();
        }
      }
      if (!sockets[4] && !sockets[6]) throw new Error(`cannot bind UDP port ${requestedPort} for IPv4 or IPv6`);
    },
    async close() {
      const closing: Promise<void>[] = [];
      for (const family of [4, 6] as const) {
        const socket = sockets[family];
        if (socket) closing.push(new Promise((resolve) => socket.close(() => resolve())));
        sockets[family] = null;
      }
      await Promise.all(closing);
    },
    send(family, address, port, bytes) {
      sendNow(family, address, port, bytes);
    },
    sendLent(family, address, port, bytes) {
      // With the lookup answered synchronously and no callback, the datagram has normally left
      // by now; if the socket buffer was full, Node queued it with a reference to the bytes.
      const socket = sendNow(family, address, port, bytes);
      return socket !== null && socket.getSendQueueCount() > 0;
    },
    onDatagram(cb) {
      handler = cb;
    },
    localPort(family) {
      const socket = sockets[family];
      return socket ? socket.address().port : null;
    },
    sendErrors: () => sendErrors,
  };
}

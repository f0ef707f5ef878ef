/** The real transport: UDP sockets (IPv4 and IPv6) on the server port, ephemeral ones to forward. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { DnsTransport, DnsTransportHandlers, Endpoint, Listening } from './types.js';

export interface UdpTransportOptions {
  /** Server port; 0 picks a free one (the IPv6 socket then takes the same number). @default 53 */
  port?: number;
  /** One address to bind, or null for every address of both families. @default null */
  bind?: string | null;
}

const endpointOf = (r: RemoteInfo): Endpoint => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(r.address);
  if (mapped?.[1] !== undefined) return { address: mapped[1], port: r.port, family: 4 };
  return { address: r.address, port: r.port, family: r.family === 'IPv6' ? 6 : 4 };
};

function bindSocket(type: 'udp4' | 'udp6', port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket(type === 'udp6' ? { type, ipv6Only: true } : { type });
    const onError = (err: Error) => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind({ port, address, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

export function createUdpTransport(options: UdpTransportOptions = {}): DnsTransport {
  const port = options.port ?? 53;
  const bind = options.bind ?? null;
  const servers: Partial<Record<4 | 6, Socket>> = {};
  const forwarders: Partial<Record<4 | 6, Socket>> = {};
  let handlers: DnsTransportHandlers | null = null;

  const listen = (s: Socket, kind: 'query' | 'upstream') => {
    s.on('message', (msg, rinfo) => handlers?.[kind](new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), endpointOf(rinfo)));
    // A send error (unreachable client, interface gone) must not take the process down.
    s.on('error', () => undefined);
  };

  return {
    async start(h) {
      handlers = h;
      const wanted: Array<[4 | 6, string]> =
        bind === null
          ? [
              [4, '0.0.0.0'],
              [6, '::'],
            ]
          : [[bind.includes(':') ? 6 : 4, bind]];
      let boundPort = port;
      let firstError: unknown = null;
      for (const [family, address] of wanted) {
        try {
          const s = await bindSocket(family === 4 ? 'udp4' : 'udp6', boundPort, address);
          servers[family] = s;
          boundPort = s.address().port;
          listen(s, 'query');
        } catch (err) {
          // A host without IPv6 still serves IPv4 (and the other way round); only "nothing bound" fails.
          firstError ??= err;
        }
      }
      if (servers[4] === undefined && servers[6] === undefined) throw firstError;
      return { udp4: servers[4] !== undefined, udp6: servers[6] !== undefined, port: boundPort } satisfies Listening;
    },
    reply(bytes, to) {
      // Queries arrive on the socket of their family, so that socket exists.
      servers[to.family]?.send(bytes, to.port, to.address);
    },
    forward(bytes, to) {
      let s = forwarders[to.family];
      if (s === undefined) {
        s = createSocket(to.family === 6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
        forwarders[to.family] = s;
        listen(s, 'upstream');
        s.bind(0);
      }
      s.send(bytes, to.port, to.address);
    },
    async stop() {
      handlers = null;
      const all = [...Object.values(servers), ...Object.values(forwarders)];
      for (const k of [4, 6] as const) {
        delete servers[k];
        delete forwarders[k];
      }
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/**
 * In Jami DNS mode, Jami falls back to `dhtproxy.jami.net` on a random TCP port between 80 and 95
 * when its proxy list cannot be fetched. This serves the box's DHT proxy on every one of those
 * ports: each extra listener hands its connections to the proxy's own HTTP server (so the proxy's
 * limits and timeouts apply unchanged), and the web port, when it is one of them (80 on the box),
 * is shared by Host header (`isProxyHost`). A port that cannot be opened (in use, or below 1024
 * without the right to bind it) does not stop the box: it is reported and logged.
 */
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { Server as HttpServer } from 'node:http';

/** The ports Jami picks from for `dhtproxy.jami.net` ("dhtproxy.jami.net:[80-95]"). */
export const JAMI_PROXY_PORTS: readonly number[] = Array.from({ length: 16 }, (_, i) => 80 + i);
/** The name Jami's default proxy setting uses. */
export const JAMI_PROXY_HOST = 'dhtproxy.jami.net';

/** True when a request's Host header names the Jami proxy (any port, any case). */
export function isProxyHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
  return name === JAMI_PROXY_HOST;
}

export interface ProxyPortsStatus {
  /** Ports with a listener of their own. */
  listening: number[];
  /** The web port when it is in the range (served there by Host header), else null. */
  sharedWithWeb: number | null;
  /** Ports that could not be opened, with the error code. */
  failed: Record<number, string>;
  /** Connections handed to the proxy, and refused because a port had too many open. */
  connections: number;
  refused: number;
}

export interface ProxyPorts {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ProxyPortsStatus;
}

type Log = { warn(o: object, m?: string): void; info(o: object, m?: string): void };

export function createProxyPorts(
  options: {
    /** @default JAMI_PROXY_PORTS */
    ports?: readonly number[];
    bind: string | null;
    /** The web server's port (not bound again; it shares by Host header). */
    webPort: number | null;
    /** Open connections per port. @default 64 */
    maxConnectionsPerPort?: number;
  },
  components: { proxy: HttpServer; logger: Log },
): ProxyPorts {
  const ports = options.ports ?? JAMI_PROXY_PORTS;
  const servers = new Map<number, TcpServer>();
  const failed: Record<number, string> = {};
  let connections = 0;
  let refused = 0;

  const listen = (port: number) =>
    new Promise<void>((resolve) => {
      const s = createTcpServer((socket) => {
        connections++;
        components.proxy.emit('connection', socket);
      });
      s.maxConnections = options.maxConnectionsPerPort ?? 64;
      s.on('drop', () => refused++);
      const onError = (err: NodeJS.ErrnoException) => {
        failed[port] = err.code ?? err.message;
        resolve();
      };
      s.once('error', onError);
      s.listen({ port, ...(options.bind !== null ? { host: options.bind } : {}), exclusive: true }, () => {
        s.off('error', onError);
        s.on('error', () => undefined);
        servers.set(port, s);
        resolve();
      });
    });

  return {
    async start() {
      for (const port of ports) if (port !== options.webPort) await listen(port);
      const bad = Object.keys(failed);
      if (bad.length > 0) {
        components.logger.warn(
          { failed },
          `the DHT proxy could not open ${bad.length} of Jami's fallback ports 80-95; phones that pick one of them cannot register through the box`,
        );
      } else {
        components.logger.info(
          { ports: [...servers.keys()], sharedWithWeb: ports.includes(options.webPort ?? -1) ? options.webPort : null },
          `the DHT proxy answers for ${JAMI_PROXY_HOST} on TCP 80-95`,
        );
      }
    },
    async stop() {
      // Only the listening sockets are ours: the connections went to the proxy server, which
      // closes them when the proxy stops (after this, in the appliance's reverse order). Waiting
      // for them here held the shutdown until every client's keep-alive or listen stream ended.
      for (const s of servers.values()) s.close();
      servers.clear();
    },
    status() {
      return {
        listening: [...servers.keys()],
        sharedWithWeb: options.webPort !== null && ports.includes(options.webPort) ? options.webPort : null,
        failed: { ...failed },
        connections,
        refused,
      };
    },
  };
}

/**
 * Jami DNS mode (@lanbox/jami-dns, opt-in with --jami-dns): the box answers the LAN's DNS so that
 * unmodified Jami clients find its DHT node, TURN server and DHT proxy under Jami's public names.
 * While the box has a default route, the status and the log warn that this takes clients on a
 * LAN with the Internet away from the real services. The route is read from the box's own routing
 * table; nothing is sent to find out.
 */
import { readFileSync } from 'node:fs';
import { createJamiDns, createUdpTransport, hasDefaultRoute, type JamiDns, type JamiDnsStatus, type Listening, type Logger } from '@lanbox/jami-dns';
import type { Server as HttpServer } from 'node:http';
import type { LanboxConfig } from '../config/schema.js';
import { createProxyPorts, type ProxyPorts, type ProxyPortsStatus } from '../web/proxy-ports.js';
import type { ApplianceService, ServiceStatus, StoppedStatus } from './service.js';

/** Forward timeouts want a few checks a second; the route table is re-read every 10 s. */
const TICK_MS = 250;
const ROUTE_CHECK_MS = 10_000;

export const DEFAULT_ROUTE_WARNING =
  'This box has a default route: if this LAN reaches the Internet, Jami DNS mode takes its Jami clients away from the real Jami services (bootstrap, TURN, proxy) to this box. Turn it off on such a LAN.';

export const JAMI_DNS_EXPLANATION =
  'The box answers DNS for bootstrap.jami.net, turn.jami.net and dhtproxy.jami.net with its own address, and config.jami.net with "does not exist", so Jami with default settings uses this box. Other names are forwarded to the configured upstream resolver, or refused.';

function readDefaultRoute(): boolean {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8').slice(0, 256 * 1024);
    } catch {
      return '';
    }
  };
  return hasDefaultRoute(read('/proc/net/route'), read('/proc/net/ipv6_route'));
}

/** Jami DNS mode's part of /api/status while it runs. */
export interface JamiDnsRunningStatus extends ServiceStatus {
  state: 'ok' | 'degraded';
  mode: 'jami-dns';
  /** What the mode does, in one paragraph for the status page. */
  explanation: string;
  port: number;
  listening: Listening;
  /** `HOST:PORT` of the upstream resolver, or null (other names refused). */
  upstream: string | null;
  /** The box has a default route (read from its own routing table). */
  defaultRoute: boolean;
  /** The sentence the page and the log show while `defaultRoute` is true. */
  warning: string | null;
  /** Distinct source addresses per Jami name in the last hour. */
  devicesLastHour: Record<string, number>;
  names: JamiDnsStatus['names'];
  /** The DHT proxy on Jami's fallback ports 80-95 (null when the proxy is off). */
  proxyPorts: ProxyPortsStatus | null;
  counters: JamiDnsStatus['counters'];
  /** Datagrams dropped without an answer (short, responses, over rate, stray upstream replies). */
  dropped: number;
  pendingForwards: number;
  trackedSources: number;
}

export type JamiDnsServiceStatus = JamiDnsRunningStatus | (StoppedStatus & { mode: 'jami-dns' });

export interface JamiDnsService extends ApplianceService<JamiDnsServiceStatus> {
  readonly dns: JamiDns;
}

export function createJamiDnsService(
  config: LanboxConfig,
  components: {
    logger: Logger;
    defaultRoute?: () => boolean;
    /** The DHT proxy's HTTP server, served on TCP 80-95 too; null when the proxy is off. */
    proxy?: HttpServer | null;
    /** @default JAMI_PROXY_PORTS (80-95) */
    proxyPorts?: readonly number[];
  },
): JamiDnsService {
  const log = components.logger;
  const checkRoute = components.defaultRoute ?? readDefaultRoute;
  const concreteBind = config.bind !== null && config.bind !== '0.0.0.0' && config.bind !== '::' ? config.bind : null;
  const dns = createJamiDns(
    { upstream: config.dnsUpstream, fixedAddress: concreteBind },
    { transport: createUdpTransport({ port: config.dnsPort, bind: config.bind }), logger: log },
  );
  const proxyPorts: ProxyPorts | null =
    components.proxy != null
      ? createProxyPorts(
          { bind: config.bind, webPort: config.webPort, ...(components.proxyPorts !== undefined ? { ports: components.proxyPorts } : {}) },
          { proxy: components.proxy, logger: log },
        )
      : null;
  let timer: NodeJS.Timeout | null = null;
  let defaultRoute = false;
  let lastRouteCheck = 0;

  const updateRoute = (now: number) => {
    lastRouteCheck = now;
    const had = defaultRoute;
    defaultRoute = checkRoute();
    if (defaultRoute && !had) log.warn({ defaultRoute }, DEFAULT_ROUTE_WARNING);
    else if (!defaultRoute && had) log.info({ defaultRoute }, 'the default route is gone; Jami DNS mode is safe on this offline LAN');
  };

  return {
    name: 'dns',
    dns,
    async start() {
      await proxyPorts?.start();
      await dns.start();
      updateRoute(Date.now());
      timer = setInterval(() => {
        dns.tick();
        const now = Date.now();
        if (now - lastRouteCheck >= ROUTE_CHECK_MS) updateRoute(now);
      }, TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer === null) return;
      clearInterval(timer);
      timer = null;
      await dns.stop();
      await proxyPorts?.stop();
    },
    status(): JamiDnsServiceStatus {
      const s = dns.status();
      if (timer === null || s.listening === null) return { state: 'down', summary: 'not running', mode: 'jami-dns' };
      const devices = Object.fromEntries(Object.entries(s.names).map(([name, n]) => [name, n.devicesLastHour]));
      const families = [s.listening.udp4 ? 'IPv4' : '', s.listening.udp6 ? 'IPv6' : ''].filter(Boolean).join(' and ');
      const c = s.counters;
      const ports = proxyPorts?.status() ?? null;
      const failedPorts = ports === null ? [] : Object.keys(ports.failed);
      const summary =
        `answering Jami's names on UDP ${s.listening.port} (${families}); ` +
        `${devices['bootstrap.jami.net'] ?? 0} devices asked for bootstrap.jami.net in the last hour; ` +
        (s.upstream !== null ? `other names forwarded to ${s.upstream}` : 'other names refused (no upstream)') +
        (ports === null
          ? '; no DHT proxy for dhtproxy.jami.net (the proxy is off)'
          : failedPorts.length > 0
            ? `; the DHT proxy could not open TCP ${failedPorts.join(', ')}`
            : '; the DHT proxy answers on TCP 80-95') +
        (defaultRoute ? '. WARNING: the box has a default route' : '');
      return {
        state: defaultRoute || failedPorts.length > 0 ? 'degraded' : 'ok',
        summary,
        mode: 'jami-dns',
        explanation: JAMI_DNS_EXPLANATION,
        port: s.listening.port,
        listening: s.listening,
        upstream: s.upstream,
        defaultRoute,
        warning: defaultRoute ? DEFAULT_ROUTE_WARNING : null,
        devicesLastHour: devices,
        names: s.names,
        proxyPorts: ports,
        counters: c,
        dropped: c.tooShort + c.notAQuery + c.rateLimited + c.upstreamIgnored,
        pendingForwards: s.pendingForwards,
        trackedSources: s.trackedSources,
      };
    },
  };
}

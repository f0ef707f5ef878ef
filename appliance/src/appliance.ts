/**
 * The appliance: opens storage, builds the services from the configuration, starts them in
 * order, serves the web port, and stops everything in reverse order. It only reads services'
 * public state for the status page; services never see each other except where one feeds
 * another through its public API (discovery → DHT).
 */
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { LanboxConfig } from './config/schema.js';
import { formatHostPort } from './config/values.js';
import { openStorage, type ServiceStoreHealth, type Storage } from './storage.js';
import { boundDhtPort, createDhtService, type DhtServiceStatus } from './services/dht.js';
import { createNameServerService, type NameServerService, type NameServerServiceStatus } from './services/nameserver.js';
import { createDiscoveryService, type DiscoveryServiceStatus } from './services/discovery.js';
import { createTurnService, type TurnServiceStatus } from './services/turn.js';
import { createReplicationService, type ReplicationServiceStatus } from './services/replication.js';
import { createProxyApplianceService, type ProxyApplianceService, type ProxyServiceStatus } from './services/proxy.js';
import { createPushApplianceService, type PushApplianceService, type PushServiceStatus } from './services/push.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createJamiDnsService, type JamiDnsServiceStatus } from './services/jami-dns.js';
import { isProxyHost } from './web/proxy-ports.js';
import { disabledService, STOPPED, type ApplianceService, type DisabledStatus, type ServiceStatus, type StoppedStatus } from './services/service.js';
import { createWebServer, type RouteHandler, type WebCounters, type WebServer } from './web/server.js';
import { lanAddresses } from './web/lan-addresses.js';
import { createAdminRoute, MAX_IMPORT_BYTES } from './web/admin.js';
import { createBearerCheck, type StoreHealth } from '@lanbox/nameserver';
import type { PageModel } from './web/status-page.js';
import { VERSION } from './version.js';
import { systemStatus, type SystemStatus } from './system.js';
import { readImageStatus, type ImageStatus } from './image-status.js';
import { isoUtc } from './iso-time.js';
import type { HeapReleaseStatus } from './heap-release.js';

export interface ApplianceComponents {
  logger: Logger;
  /** The process's heap release after bursts of writes (main.ts starts it), for the status document. */
  heapRelease?: { status(): HeapReleaseStatus };
}

/** What clients should type, machine-readable (the status page shows the same values). */
export interface ClientSettings {
  bootstrap: string[];
  nameServer: string[];
  turn: { addresses: string[]; username: string; password: string; realm: string } | null;
  /** DHT proxy addresses (`HOST:PORT`; IPv4 only: Jami's proxy field cannot take an IPv6 literal). */
  proxy: string[];
  /** Push service URLs to type into ntfy as its default server. */
  ntfy: string[];
  peerDiscovery: boolean;
}

export interface StatusDocument {
  appliance: {
    version: string;
    profile: string;
    hostname: string;
    pid: number;
    ready: boolean;
    startedAt: string;
    uptimeSeconds: number;
    /** The box's clock when this document was made (ms): the page measures "how long ago" against it. */
    statusAt: number;
    rssBytes: number;
    heapUsedBytes: number;
    /** Memory-reducing GCs run after bursts of writes (heap-release.ts); null when not running. */
    heapRelease: HeapReleaseStatus | null;
    dataDir: string;
    web: { port: number | null } & WebCounters;
  };
  /** Each service's store under the data dir: damage found, what was recovered, backups. */
  storage: { dht: ServiceStoreHealth | null; proxy: ServiceStoreHealth | null; names: StoreHealth | null };
  dht: DhtServiceStatus;
  discovery: DiscoveryServiceStatus | DisabledStatus | StoppedStatus;
  nameserver: NameServerServiceStatus | DisabledStatus;
  /** The push service; `url` is the base URL to type into ntfy, as the asking client reached the box. */
  push: (PushServiceStatus | DisabledStatus | StoppedStatus) & { url: string | null };
  proxy: ProxyServiceStatus | DisabledStatus | StoppedStatus;
  turn: TurnServiceStatus | DisabledStatus;
  replication: ReplicationServiceStatus | DisabledStatus | StoppedStatus;
  dns: JamiDnsServiceStatus | (DisabledStatus & { mode: 'off' });
  /** The box itself: load, memory, free space for data, uptime, temperature. */
  system: SystemStatus;
  clients: ClientSettings;
  /** Only on the SD-card image (images/): settings-file errors and the DHCP server's mode and why. */
  image?: ImageStatus;
}

/** The services in start order, each with its own status type. */
interface Services {
  dht: ApplianceService<DhtServiceStatus>;
  discovery: ApplianceService<DiscoveryServiceStatus | DisabledStatus>;
  nameserver: ApplianceService<NameServerServiceStatus | DisabledStatus>;
  push: ApplianceService<PushServiceStatus | DisabledStatus>;
  proxy: ApplianceService<ProxyServiceStatus | DisabledStatus>;
  turn: ApplianceService<TurnServiceStatus | DisabledStatus>;
  replication: ApplianceService<ReplicationServiceStatus | DisabledStatus>;
  dns: ApplianceService<JamiDnsServiceStatus | (DisabledStatus & { mode: 'off' })>;
}

export interface Appliance {
  /** Starts everything; on failure stops what had started and rethrows. */
  start(): Promise<void>;
  /** Stops services in reverse order, closes the web server and flushes storage. Idempotent. */
  stop(): Promise<void>;
  status(req?: IncomingMessage): StatusDocument;
  /** One line for systemd's STATUS= and the log. */
  summary(): string;
  readonly webPort: number | null;
}

const TURN_REALM_DEFAULT = 'ring';
/** How long a stop waits for web requests in progress (main.ts gives the whole stop 15 s). */
const WEB_GRACE_MS = 5000;
/** Listen backlog of the web port (the kernel caps it at net.core.somaxconn, 4096 by default). */
const WEB_BACKLOG = 4096;
const isLoopbackOrAny = (host: string) => /^(127\.|0\.0\.0\.0$|::1?$|localhost$)/.test(host);

const imageBlock = (): { image?: ImageStatus } => {
  // LANBOX_IMAGE_STATUS_DIR: where the image's boot helpers write, if not /run/lanbox (tests).
  const image = readImageStatus(process.env.LANBOX_IMAGE_STATUS_DIR || undefined);
  return image === null ? {} : { image };
};

export function createAppliance(config: LanboxConfig, components: ApplianceComponents): Appliance {
  const log = components.logger;
  const startedAt = new Date();
  let storage: Storage | null = null;
  let services: Services | null = null;
  let started: ApplianceService[] = [];
  let web: WebServer | null = null;
  let webPort: number | null = null;
  let ready = false;
  let stopping: Promise<void> | null = null;
  let proxyService: ProxyApplianceService | null = null;
  let pushService: PushApplianceService | null = null;

  // Before start() has built the services, each one reports itself as not running.
  const statusOf = <S extends ServiceStatus>(s: ApplianceService<S> | undefined): S | StoppedStatus => (s ? s.status() : STOPPED);

  const clientSettings = (): ClientSettings => {
    const addrs = lanAddresses(config.bind).map((a) => a.address);
    const dhtPort = boundDhtPort(statusOf(services?.dht)) ?? config.dhtPort;
    const turnStatus = statusOf(services?.turn);
    const first = config.turn[0];
    const proxyPort = proxyService?.port() ?? null;
    const pushPort = pushService?.port() ?? null;
    const realm = 'realm' in turnStatus && turnStatus.realm !== null && turnStatus.realm !== '' ? turnStatus.realm : TURN_REALM_DEFAULT;
    return {
      bootstrap: addrs.map((a) => formatHostPort(a, dhtPort)),
      nameServer: config.nameserver && webPort !== null ? addrs.map((a) => `http://${formatHostPort(a, webPort ?? 80).replace(/:80$/, '')}`) : [],
      turn:
        first === undefined
          ? null
          : {
              // The box's own coturn is configured as loopback; clients reach it on the LAN addresses.
              addresses: isLoopbackOrAny(first.host) ? addrs.map((a) => formatHostPort(a, first.port)) : [formatHostPort(first.host, first.port)],
              username: first.username,
              password: first.password,
              realm,
            },
      proxy: proxyPort === null ? [] : addrs.filter((a) => !a.includes(':')).map((a) => formatHostPort(a, proxyPort)),
      ntfy: pushPort === null ? [] : addrs.map((a) => `http://${formatHostPort(a, pushPort)}`),
      peerDiscovery: true,
    };
  };

  /**
   * The push service's base URL as the asking client reached the box (its Host header's host,
   * when that is a plain IP or name), else the first LAN address.
   */
  const pushUrlFor = (req: IncomingMessage | undefined): string | null => {
    const pushPort = pushService?.port() ?? null;
    if (pushPort === null) return null;
    const host = req?.headers.host ?? '';
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d+)?$/.exec(host);
    const name = m?.[1] ?? lanAddresses(config.bind)[0]?.address;
    if (name === undefined) return null;
    return name.startsWith('[') ? `http://${name}:${pushPort}` : `http://${formatHostPort(name, pushPort)}`;
  };

  const status = (req?: IncomingMessage): StatusDocument => {
    const mem = process.memoryUsage();
    return {
      appliance: {
        version: VERSION,
        profile: config.profile,
        hostname: hostname(),
        pid: process.pid,
        ready,
        startedAt: isoUtc(startedAt.getTime()),
        uptimeSeconds: Math.round(process.uptime()),
        statusAt: Date.now(),
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        heapRelease: components.heapRelease?.status() ?? null,
        dataDir: config.dataDir,
        web: {
          port: webPort,
          ...(web?.counters ?? { requests: 0, notFound: 0, tooLarge: 0, errors: 0, connections: 0, refusedPerAddress: 0, evicted: 0, refusedFull: 0 }),
        },
      },
      storage: {
        dht: storage?.dhtHealth() ?? null,
        proxy: config.proxy ? (storage?.proxyHealth() ?? null) : null,
        names: config.nameserver ? (storage?.names.health() ?? null) : null,
      },
      dht: statusOf(services?.dht),
      discovery: statusOf(services?.discovery),
      nameserver: statusOf(services?.nameserver),
      push: { ...statusOf(services?.push), url: pushUrlFor(req) },
      proxy: statusOf(services?.proxy),
      turn: statusOf(services?.turn),
      replication: statusOf(services?.replication),
      dns: services?.dns.status() ?? { state: 'disabled', summary: 'not started', mode: 'off' },
      system: systemStatus({ dataDir: config.dataDir }),
      clients: clientSettings(),
      ...imageBlock(),
    };
  };

  const pageModel = (): Omit<PageModel, 'pageUrl'> => {
    const st = status();
    const c = st.clients;
    return {
      hostname: st.appliance.hostname,
      version: VERSION,
      addresses: lanAddresses(config.bind).map((a) => a.address),
      dhtPort: boundDhtPort(st.dht),
      nodeId: 'nodeId' in st.dht ? st.dht.nodeId : null,
      nameServerUrls: config.nameserver ? c.nameServer : null,
      turn: c.turn,
      proxy:
        c.proxy.length > 0
          ? { addresses: c.proxy }
          : { unavailable: st.proxy.state === 'disabled' ? 'This box offers no DHT proxy.' : 'The DHT proxy is not reachable yet.' },
      ntfyUrls: config.push && c.ntfy.length > 0 ? c.ntfy : null,
      discovery: config.discovery,
      initialStatus: st,
    };
  };

  const stopAll = async (): Promise<void> => {
    ready = false;
    if (web !== null) {
      // Requests in progress (a registration being written) finish and get their answer.
      await web.close(WEB_GRACE_MS);
      web = null;
      log.info('web server closed');
    }
    for (const s of [...started].reverse()) {
      try {
        await s.stop();
        log.info({ service: s.name }, 'service stopped');
      } catch (err) {
        log.error({ service: s.name, err }, 'service failed to stop cleanly');
      }
    }
    started = [];
    if (storage !== null) {
      await storage.close();
      storage = null;
      log.info('storage flushed and closed');
    }
  };

  const buildServices = (st: Storage): { services: Services; nameserver: NameServerService | null; routes: RouteHandler[] } => {
    const child = (service: string) => log.child({ service });
    const dht = createDhtService(config, { db: st.dht, logger: child('dht') });
    const nameserver = config.nameserver
      ? createNameServerService({ adminToken: config.adminToken }, { registry: st.names, logger: child('nameserver') })
      : null;
    pushService = config.push ? createPushApplianceService(config, { logger: child('push') }) : null;
    const push = pushService;
    proxyService = config.proxy
      ? createProxyApplianceService(config, { dht: dht.node, db: st.proxy, logger: child('proxy'), pushPort: () => push?.port() ?? null })
      : null;
    // Replication works on the name server's registry; it starts after it (and discovery feeds it boxes).
    const replication =
      nameserver !== null && config.replication
        ? createReplicationService(config, { dht: dht.node, nameserver, db: st.replication, webPort: () => webPort, logger: child('replication') })
        : null;
    const box =
      replication === null
        ? undefined
        : {
            boxId: () => dht.node.id,
            webPort: () => webPort ?? undefined,
            found: (_f: 4 | 6, host: string, id: string, port: number) => replication.found(host, id, port),
          };
    const services: Services = {
      dht,
      discovery: config.discovery
        ? createDiscoveryService({ dht: dht.node, box, logger: child('discovery') })
        : disabledService('discovery', 'turned off (--no-discovery)'),
      nameserver: nameserver ?? disabledService('nameserver', 'turned off (--no-nameserver)'),
      replication:
        replication ?? disabledService('replication', config.nameserver ? 'turned off (--no-replication)' : 'no name server to replicate (--no-nameserver)'),
      push: pushService ?? disabledService('push', 'turned off (--no-push)'),
      proxy: proxyService ?? disabledService('proxy', 'turned off (--no-proxy)'),
      turn: config.turn.length > 0 ? createTurnService(config, { logger: child('turn') }) : disabledService('turn', 'no TURN server configured'),
      // Last: the names it hands out must lead to services that already listen. It also opens
      // the proxy's extra ports (Jami's fallback for dhtproxy.jami.net is TCP 80-95).
      dns: config.jamiDns
        ? createJamiDnsService(config, { logger: child('dns'), proxy: proxyService?.server() ?? null })
        : disabledService('dns', 'Jami DNS mode is off (--jami-dns to turn it on, on an offline LAN only)', { mode: 'off' as const }),
    };
    return { services, nameserver, routes: replication !== null ? [replication.route] : [] };
  };

  return {
    get webPort() {
      return webPort;
    },
    status,
    summary() {
      const st = status();
      const good = 'nodes' in st.dht ? st.dht.nodes.good : 0;
      return `serving DHT on UDP ${boundDhtPort(st.dht) ?? config.dhtPort}, web on :${webPort}; ${good} good nodes`;
    },
    async start() {
      try {
        storage = await openStorage(config.dataDir, log.child({ component: 'storage' }));
        log.info({ path: storage.dataDir, dht: storage.dhtHealth().state }, 'storage open');
        const built = buildServices(storage);
        services = built.services;
        for (const s of Object.values(built.services) as ApplianceService[]) {
          await s.start();
          started.push(s);
          log.info({ service: s.name, state: s.status().state }, 'service started');
        }
        const routes = [
          ...built.routes,
          ...(built.nameserver !== null ? [built.nameserver.route] : []),
          ...(config.adminToken !== null && built.nameserver !== null ? [createAdminRoute(config.adminToken, built.nameserver)] : []),
        ];
        const proxyServer = config.jamiDns ? (proxyService?.server() ?? null) : null;
        const w = createWebServer({
          status,
          page: pageModel,
          routes,
          // Jami DNS mode: requests for dhtproxy.jami.net reaching the web port (80 on the box,
          // one of Jami's fallback proxy ports) are the proxy's.
          ...(proxyServer !== null
            ? {
                takeover: {
                  match: (req: IncomingMessage) => isProxyHost(req.headers.host),
                  handle: (req: IncomingMessage, res: ServerResponse) => void proxyServer.emit('request', req, res),
                },
              }
            : {}),
          bodyLimits: { '/api/names/import': MAX_IMPORT_BYTES },
          largeBodyAllowed:
            config.adminToken === null
              ? () => false
              : (
                  (check) => (req) =>
                    check(req.headers.authorization)
                )(createBearerCheck(config.adminToken)),
          onError: (err) => log.error({ err }, 'web request failed'),
        });
        web = w;
        await new Promise<void>((resolve, reject) => {
          w.server.once('error', reject);
          // A deep accept queue: under a connection flood a full one drops a normal client's SYN,
          // which it resends only after a second; the server sorts connections out once accepted.
          w.server.listen({ port: config.webPort, backlog: WEB_BACKLOG, ...(config.bind !== null ? { host: config.bind } : {}) }, () => {
            w.server.off('error', reject);
            resolve();
          });
        });
        webPort = (w.server.address() as AddressInfo).port;
        log.info({ port: webPort, bind: config.bind ?? 'all' }, 'web server listening');
        ready = true;
      } catch (err) {
        await stopAll();
        throw err;
      }
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

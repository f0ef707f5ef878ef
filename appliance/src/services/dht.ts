/** The DHT node (@lanbox/dht) as an appliance service: the bootstrap every Jami client joins. */
import { createDhtNode, type DhtNode, type DhtDb, type DhtStatus, type FamilyNodeCounts, type Logger } from '@lanbox/dht';
import type { LanboxConfig } from '../config/schema.js';
import { STOPPED, type ApplianceService, type ServiceState, type ServiceStatus, type StoppedStatus } from './service.js';

/** The DHT's part of /api/status while it runs. */
export interface DhtRunningStatus extends ServiceStatus {
  state: Exclude<ServiceState, 'disabled'>;
  nodeId: string;
  networkId: number;
  ports: { udp4: number | null; udp6: number | null };
  nodes: { ipv4: FamilyNodeCounts; ipv6: FamilyNodeCounts; good: number; dubious: number };
  storage: DhtStatus['storage'];
  listeners: number;
  bootstrapping: boolean;
  rateLimit: boolean;
  dropped: { total: number } & DhtStatus['counters']['dropped'];
  limited: number;
  transactions: number;
  searches: number;
  listens: number;
  blacklisted: number;
  counters: DhtStatus['counters'];
}

export type DhtServiceStatus = DhtRunningStatus | StoppedStatus;

export interface DhtService extends ApplianceService<DhtServiceStatus> {
  readonly node: DhtNode;
}

/** IPv4 and IPv6 bind addresses for `--bind` (one concrete address disables the other family). */
export function bindAddresses(bind: string | null): { bind4: string | null; bind6: string | null } {
  if (bind === null) return { bind4: '0.0.0.0', bind6: '::' };
  return bind.includes(':') ? { bind4: null, bind6: bind } : { bind4: bind, bind6: null };
}

/** The DHT's bound UDP port from its status (IPv4's, else IPv6's), or null when not listening. */
export function boundDhtPort(status: DhtServiceStatus): number | null {
  return 'ports' in status ? (status.ports.udp4 ?? status.ports.udp6) : null;
}

export function createDhtService(config: LanboxConfig, components: { db: DhtDb; logger: Logger }): DhtService {
  const node = createDhtNode(
    {
      port: config.dhtPort,
      ...bindAddresses(config.bind),
      bootstrap: config.bootstrap,
      // `null` is the node's "no limits" (like `dhtnode -U`); undefined keeps its defaults.
      ...(config.rateLimit ? {} : { rateLimit: null }),
    },
    { db: components.db, logger: components.logger },
  );
  let started = false;

  return {
    name: 'dht',
    node,
    async start() {
      await node.start();
      started = true;
    },
    async stop() {
      if (!started) return;
      started = false;
      await node.stop();
    },
    status(): DhtServiceStatus {
      if (!started) return STOPPED;
      const s = node.status();
      const good = s.nodes[4].good + s.nodes[6].good;
      const dubious = s.nodes[4].dubious + s.nodes[6].dubious;
      const d = s.counters.dropped;
      // Every drop reason but rate limiting, which is reported on its own as `limited`.
      const dropped = Object.entries(d).reduce((sum, [reason, n]) => (reason === 'ratelimited' ? sum : sum + n), 0);
      const listening = s.ports[4] !== null || s.ports[6] !== null;
      // A lone box with no clients yet is healthy; it is degraded only when it was told to join
      // other nodes and knows none.
      const state: DhtRunningStatus['state'] = !listening ? 'down' : config.bootstrap.length > 0 && good === 0 ? 'degraded' : 'ok';
      const portText = [s.ports[4] !== null ? `UDP ${s.ports[4]} (IPv4)` : '', s.ports[6] !== null ? `UDP ${s.ports[6]} (IPv6)` : '']
        .filter(Boolean)
        .join(', ');
      const summary =
        `${portText}; ${good} good and ${dubious} dubious nodes (IPv4 ${s.nodes[4].good}/${s.nodes[4].dubious}, IPv6 ${s.nodes[6].good}/${s.nodes[6].dubious}); ` +
        `${s.storage.values} values under ${s.storage.keys} keys; ${s.storage.listeners} listeners` +
        (state === 'degraded' ? '; cannot reach any bootstrap node' : '');
      return {
        state,
        summary,
        nodeId: s.id,
        networkId: s.networkId,
        ports: { udp4: s.ports[4], udp6: s.ports[6] },
        nodes: { ipv4: s.nodes[4], ipv6: s.nodes[6], good, dubious },
        storage: s.storage,
        listeners: s.storage.listeners,
        bootstrapping: s.bootstrapping,
        rateLimit: config.rateLimit,
        dropped: { total: dropped, ...d },
        limited: d.ratelimited,
        transactions: s.transactions,
        searches: s.searches,
        listens: s.listens,
        blacklisted: s.blacklisted,
        counters: s.counters,
      };
    },
  };
}

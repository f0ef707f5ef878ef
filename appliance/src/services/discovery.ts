/**
 * Local peer discovery (@lanbox/discovery): announces the box's DHT node on the LAN (so Jami
 * clients with "local peer discovery" on find it without a bootstrap) and hands nodes it hears
 * to the DHT.
 */
import { createDiscovery, type BoxComponent, type Discovery, type DiscoveryStatus, type Logger, type NearbyAccount } from '@lanbox/discovery';
import type { DhtNode } from '@lanbox/dht';
import type { ApplianceService, ServiceStatus } from './service.js';

/** Discovery's part of /api/status. */
export interface DiscoveryServiceStatus extends ServiceStatus {
  state: 'ok' | 'degraded' | 'down';
  port: number;
  ipv4: DiscoveryStatus['ipv4'];
  ipv6: DiscoveryStatus['ipv6'];
  nearbyNodes: number;
  nearbyAccounts: number;
  nodes: DiscoveryStatus['nearbyNodes'];
  accounts: Pick<NearbyAccount, 'accountId' | 'displayName' | 'family' | 'lastSeen'>[];
  dropped: { total: number; oversize: number; rateLimited: number; malformed: number; unexpected: number };
  counters: DiscoveryStatus['counters'];
}

/** Discovery's periodic work (interface re-scan, rounds, expiry) wants about one call a second. */
const TICK_MS = 1000;

export function createDiscoveryService(components: { dht: DhtNode; box?: BoxComponent | undefined; logger: Logger }): ApplianceService<DiscoveryServiceStatus> {
  const { dht } = components;
  const discovery: Discovery = createDiscovery(
    {},
    {
      dht: {
        nodeId: () => dht.id,
        port: (family) => dht.port(family) ?? undefined,
        networkId: dht.networkId,
        addNode: (family, address, port) => dht.addNode(family, address, port),
      },
      ...(components.box !== undefined ? { box: components.box } : {}),
      logger: components.logger,
    },
  );
  let timer: NodeJS.Timeout | null = null;

  return {
    name: 'discovery',
    async start() {
      await discovery.start();
      timer = setInterval(() => discovery.tick(), TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer === null) return;
      clearInterval(timer);
      timer = null;
      await discovery.stop();
    },
    status(): DiscoveryServiceStatus {
      const s = discovery.status();
      const c = s.counters;
      const families = [
        s.ipv4.open ? `IPv4 ${s.ipv4.group} on ${s.ipv4.interfaces.join(', ') || 'no interface'}` : '',
        s.ipv6.open ? `IPv6 ${s.ipv6.group} on ${s.ipv6.interfaces.join(', ') || 'no interface'}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      const summary =
        s.state === 'stopped'
          ? 'not running'
          : `${s.nearbyNodes.length} DHT nodes and ${s.nearbyAccounts.length} Jami accounts nearby; UDP ${s.port}, ${families || 'no multicast group joined'}`;
      const dropped = c.droppedOversize + c.droppedRateLimited + c.droppedMalformed + c.droppedUnexpected;
      return {
        state: s.state === 'stopped' ? 'down' : s.state,
        summary,
        port: s.port,
        ipv4: s.ipv4,
        ipv6: s.ipv6,
        nearbyNodes: s.nearbyNodes.length,
        nearbyAccounts: s.nearbyAccounts.length,
        nodes: s.nearbyNodes,
        accounts: s.nearbyAccounts.map((a) => ({ accountId: a.accountId, displayName: a.displayName, family: a.family, lastSeen: a.lastSeen })),
        dropped: {
          total: dropped,
          oversize: c.droppedOversize,
          rateLimited: c.droppedRateLimited,
          malformed: c.droppedMalformed,
          unexpected: c.droppedUnexpected,
        },
        counters: c,
      };
    },
  };
}

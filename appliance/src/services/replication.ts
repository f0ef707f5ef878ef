/**
 * Registry replication (@lanbox/replication): the boxes of a site share one name registry. It
 * works on the name server's registry (through the name server's replication gate), finds boxes
 * through discovery's `lanbox` service and `--peer-box`, and hands every box it reaches to the DHT
 * so that the boxes' DHTs form one network.
 */
import {
  createHttpClient,
  createLevelState,
  createMemoryState,
  createReplication,
  type Logger,
  type Replication,
  type ReplicationStatus,
} from '@lanbox/replication';
import type { DhtNode } from '@lanbox/dht';
import type { NameDatabase } from '@lanbox/nameserver';
import type { LanboxConfig } from '../config/schema.js';
import type { RouteHandler } from '../web/server.js';
import type { NameServerService } from './nameserver.js';
import { STOPPED, type ApplianceService, type ServiceStatus, type StoppedStatus } from './service.js';

/** The package's status (other boxes, their state and last exchange, conflicts, counters) with a summary. */
export type ReplicationServiceStatus = (ServiceStatus & Omit<ReplicationStatus, 'state'> & { state: ReplicationStatus['state'] }) | StoppedStatus;

export interface ReplicationService extends ApplianceService<ReplicationServiceStatus> {
  /** Box-to-box routes under /api/replication/v1/; 503 before start. */
  readonly route: RouteHandler;
  /** Discovery heard another box. */
  found(host: string, boxId: string, webPort: number): void;
}

/** Replication's periodic work (due exchanges, retries) wants about one call a second. */
const TICK_MS = 1000;

export function createReplicationService(
  config: Pick<LanboxConfig, 'peerBoxes' | 'siteKey'>,
  components: { dht: DhtNode; nameserver: NameServerService; db: NameDatabase | null; webPort: () => number | null; logger: Logger },
): ReplicationService {
  let replication: Replication | null = null;
  let timer: NodeJS.Timeout | null = null;
  const { dht } = components;

  return {
    name: 'replication',
    route: async (req, res) => (replication === null ? false : replication.handle(req, res)),
    found(host, boxId, webPort) {
      replication?.found(host, boxId, webPort);
    },
    async start() {
      const server = components.nameserver.server;
      if (server === null) throw new Error('replication needs the name server running');
      const r = createReplication(
        {
          boxId: Buffer.from(dht.id).toString('hex'),
          peers: config.peerBoxes,
          ...(config.siteKey !== null ? { siteKey: config.siteKey } : {}),
        },
        {
          registry: server,
          // Without its store (it could not open) the site's other boxes are remembered until a restart only.
          state: components.db === null ? createMemoryState() : createLevelState(components.db),
          self: { webPort: () => components.webPort() ?? undefined, dhtPort: () => dht.port(4) ?? dht.port(6) },
          client: createHttpClient(),
          logger: components.logger,
          // Every box reached is a DHT node too: joining it makes the site's DHTs one network.
          onPeer: (host, dhtPort) => dht.addNode(host.includes(':') ? 6 : 4, host, dhtPort),
        },
      );
      await r.start();
      replication = r;
      timer = setInterval(() => r.tick(), TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await replication?.stop();
      replication = null;
    },
    status(): ReplicationServiceStatus {
      if (replication === null) return STOPPED;
      const s = replication.status();
      const up = s.peers.filter((p) => p.state === 'up').length;
      const summary =
        (s.peers.length === 0 ? 'no other box known yet' : `${up} of ${s.peers.length} other boxes reachable`) +
        `; ${s.entries} entries replicated` +
        (s.conflictsLost > 0 ? `; ${s.conflictsLost} name conflicts lost here (see conflicts)` : '') +
        (s.counters.badRecords > 0 ? `; ${s.counters.badRecords} records failed verification` : '');
      return { ...s, state: s.state, summary };
    },
  };
}

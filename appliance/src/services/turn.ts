/** The TURN monitor (@lanbox/turn-monitor): probes the box's coturn (or the configured servers) along Jami's path. */
import { join } from 'node:path';
import { createFileStore, createTurnMonitor, type Logger, type ServerStatus, type TurnMonitor, type TurnMonitorStatus } from '@lanbox/turn-monitor';
import type { LanboxConfig } from '../config/schema.js';
import { lanAddresses } from '../web/lan-addresses.js';
import { STOPPED, type ApplianceService, type ServiceStatus, type StoppedStatus } from './service.js';

/** The TURN monitor's part of /api/status while it runs. */
export interface TurnRunningStatus extends ServiceStatus {
  state: 'ok' | 'degraded' | 'down';
  /** Realm of the first server's last challenge, or null before it answered. */
  realm: string | null;
  servers: Pick<ServerStatus, 'url' | 'state' | 'lastError' | 'lastCheckedAt' | 'realm' | 'software' | 'steps' | 'history'>[];
  counters: TurnMonitorStatus['counters'];
}

export type TurnServiceStatus = TurnRunningStatus | StoppedStatus;

export function createTurnService(config: LanboxConfig, components: { logger: Logger }): ApplianceService<TurnServiceStatus> {
  // The probe's echo peers must be an address the TURN server relays to: the box's LAN address.
  const peer = lanAddresses(config.bind).find((a) => a.family === 4)?.address;
  const monitor: TurnMonitor = createTurnMonitor(
    { servers: config.turn, ...(peer !== undefined ? { peerAddress: peer } : {}) },
    { clock: { now: Date.now }, store: createFileStore(join(config.dataDir, 'turn-monitor.json')), logger: components.logger },
  );
  let started = false;

  return {
    name: 'turn',
    async start() {
      monitor.start();
      started = true;
    },
    async stop() {
      if (!started) return;
      started = false;
      await monitor.stop();
    },
    status(): TurnServiceStatus {
      if (!started) return STOPPED;
      const s = monitor.status();
      const servers = s.servers.map((v) => ({
        url: v.url,
        state: v.state,
        lastError: v.lastError,
        lastCheckedAt: v.lastCheckedAt,
        realm: v.realm,
        software: v.software,
        steps: v.steps,
        history: v.history,
      }));
      const first = s.servers[0];
      const summary = s.servers
        .map((v) => `${v.url}: ${v.state === 'pending' ? 'first check running' : v.state}${v.lastError ? ` (${v.lastError})` : ''}`)
        .join('; ');
      // "pending" is the first minute after start; the page shows it as degraded until proven.
      const state: TurnRunningStatus['state'] = s.state === 'pending' ? 'degraded' : s.state;
      return { state, summary, realm: first?.realm ?? null, servers, counters: s.counters };
    },
  };
}

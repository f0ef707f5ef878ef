/** The TURN monitor (@lanbox/turn-monitor): probes the box's coturn (or the configured servers) along Jami's path. */
import { join } from 'node:path';
import { createFileStore, createTurnMonitor, type Logger, type TurnMonitor } from '@lanbox/turn-monitor';
import type { LanboxConfig } from '../config/schema.js';
import { formatHostPort, type TurnServer } from '../config/values.js';
import { lanAddresses } from '../web/lan-addresses.js';
import type { ApplianceService, ServiceStatus } from './service.js';

export function turnUrl(s: TurnServer): string {
  return `turn://${encodeURIComponent(s.username)}:${encodeURIComponent(s.password)}@${formatHostPort(s.host, s.port)}`;
}

export function createTurnService(config: LanboxConfig, components: { logger: Logger }): ApplianceService {
  // The probe's echo peers must be an address the TURN server relays to: the box's LAN address.
  const peer = lanAddresses(config.bind).find((a) => a.family === 4)?.address;
  const monitor: TurnMonitor = createTurnMonitor(
    { servers: config.turn.map(turnUrl), ...(peer !== undefined ? { peerAddress: peer } : {}) },
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
    status(): ServiceStatus {
      if (!started) return { state: 'down', summary: 'not running' };
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
      const state = s.state === 'pending' ? 'degraded' : s.state;
      return { state, summary, realm: first?.realm ?? null, servers, counters: s.counters };
    },
  };
}

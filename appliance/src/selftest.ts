/**
 * `lanbox --selftest`: proves that this build runs on this machine (the native LevelDB module
 * loads, sockets bind, the web port answers) without touching the real data dir or the network:
 * everything on loopback, ephemeral ports, a temporary data dir, no discovery, no TURN probes.
 * Meant for image builds (e.g. under qemu-user for arm64) and for support.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createAppliance } from './appliance.js';
import { defaultsFor } from './config/schema.js';

export interface SelftestResult {
  ok: boolean;
  nodeId: string | null;
  states: Record<string, string>;
  error?: string;
}

export async function selftest(logger: Logger): Promise<SelftestResult> {
  const dir = await mkdtemp(join(tmpdir(), 'lanbox-selftest-'));
  const config = {
    ...defaultsFor('local'),
    dataDir: dir,
    dhtPort: 0,
    webPort: 0,
    proxyPort: 0,
    pushPort: 0,
    bind: '127.0.0.1',
    discovery: false,
    turn: [],
  };
  const appliance = createAppliance(config, { logger });
  try {
    await appliance.start();
    const res = await fetch(`http://127.0.0.1:${appliance.webPort}/api/status`);
    const status = (await res.json()) as Record<string, { state?: string; nodeId?: unknown }>;
    const states = Object.fromEntries(['dht', 'nameserver', 'push', 'proxy'].map((k) => [k, String(status[k]?.state)]));
    const nodeId = typeof status.dht?.nodeId === 'string' ? status.dht.nodeId : null;
    const ok =
      res.status === 200 &&
      nodeId !== null &&
      /^[0-9a-f]{40}$/.test(nodeId) &&
      states.dht === 'ok' &&
      states.nameserver === 'ok' &&
      states.push === 'ok' &&
      states.proxy === 'ok';
    return { ok, nodeId, states };
  } catch (err) {
    return { ok: false, nodeId: null, states: {}, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await appliance.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

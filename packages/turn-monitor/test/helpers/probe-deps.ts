import { randomBytes } from 'node:crypto';
import { systemScheduler } from '@lanbox/clock';
import { performance } from 'node:perf_hooks';
import { TransactionLayer } from '../../src/client/transactions.js';
import { TurnClient } from '../../src/client/turn-client.js';
import { startTcpEchoPeer, startUdpEchoPeer } from '../../src/probe/echo-peers.js';
import type { ProbeDeps, ProbeSettings, ProbeTarget } from '../../src/probe/probe.js';
import type { StunChannel } from '../../src/transport/channel.js';
import { openTcpChannel } from '../../src/transport/tcp-channel.js';
import { openUdpChannel } from '../../src/transport/udp-channel.js';

/** The real sockets, timers and randomness, as the monitor wires them. */
export const realDeps: ProbeDeps = {
  now: () => performance.now(),
  scheduler: systemScheduler,
  randomBytes: (n) => randomBytes(n),
  channels: { openUdp: openUdpChannel, openTcp: openTcpChannel },
  startUdpPeer: startUdpEchoPeer,
  startTcpPeer: startTcpEchoPeer,
};

/**
 * Probe settings for a coturn on loopback. The timeouts are generous on purpose: no test here waits
 * for one to expire (a stopped coturn refuses at once, an error is answered at once), so they only
 * bound a hang, and a short one would fail a healthy probe on a busy machine.
 */
export const loopbackSettings: ProbeSettings = {
  rtoMs: 100,
  timeoutMs: 5000,
  relayTimeoutMs: 5000,
  connectTimeoutMs: 5000,
  peerAddress: '127.0.0.1',
};

export function target(port: number, password = 'ring'): ProbeTarget {
  return { host: '127.0.0.1', port, username: 'ring', password };
}

/** A bare TURN client on its own socket, for holding allocations or provoking errors. */
export async function rawClient(kind: 'udp' | 'tcp', port: number): Promise<{ client: TurnClient; channel: StunChannel }> {
  const channel =
    kind === 'udp' ? await openUdpChannel({ host: '127.0.0.1', port }) : await openTcpChannel({ host: '127.0.0.1', port }, loopbackSettings.connectTimeoutMs);
  const tx = new TransactionLayer(channel, { rtoMs: 100, timeoutMs: loopbackSettings.timeoutMs }, systemScheduler, (n) => randomBytes(n));
  return { client: new TurnClient(tx, { username: 'ring', password: 'ring' }), channel };
}

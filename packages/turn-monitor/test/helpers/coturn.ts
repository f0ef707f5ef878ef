import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freePortRange, isFreeUdp } from './ports.js';

export const TURNSERVER = '/usr/bin/turnserver';

export interface CoturnOptions {
  /** Extra config lines (e.g. `user-quota=1`). */
  extra?: string[];
  /** Relay port range size. @default 20 */
  relayPorts?: number;
  /** Reuse this listening port (to restart a stopped server on the same address). */
  port?: number;
  /** Replace the whole generated config but the per-run lines (ports, files). */
  baseConfig?: string[];
}

/** One coturn process on loopback, started and stopped by the test that owns it. */
export interface Coturn {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** The UDP relay ports coturn may allocate (min-port..max-port). */
  readonly relayPorts: readonly number[];
  stop(): Promise<void>;
  log(): Promise<string>;
}

/** The lab configuration: like the box's, but loopback-only and with loopback peers allowed. */
export const LAB_CONFIG = [
  'listening-ip=127.0.0.1',
  'relay-ip=127.0.0.1',
  'fingerprint',
  'lt-cred-mech',
  'user=ring:ring',
  'realm=ring',
  'allow-loopback-peers',
  'no-tls',
  'no-dtls',
  'no-cli',
  'no-rfc5780',
];

async function waitForTcp(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('turnserver did not start listening in time');
}

/**
 * coturn opens its TCP and UDP listeners in separate threads; a test that starts with UDP right
 * after TCP answered could meet a closed port (ECONNREFUSED) on a busy machine. Waits for a STUN
 * Binding answer over UDP too.
 */
async function waitForUdp(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const socket = createSocket('udp4');
  // Binding request: type 0x0001, no attributes, the magic cookie, a random transaction id.
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
  try {
    const answered = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.on('error', () => {}); // ICMP port unreachable while coturn is still starting
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
      socket.send(request, port, '127.0.0.1');
      const ok = await Promise.race([answered.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
      if (ok) return;
    }
    throw new Error('turnserver did not answer over UDP in time');
  } finally {
    socket.close();
  }
}

/** Waits (bounded) until coturn answers on `port` over both TCP and UDP; throws if it exited. */
export async function waitForCoturn(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  await waitForTcp(port, child, timeoutMs);
  await waitForUdp(port, child, timeoutMs);
}

export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  const dir = await mkdtemp(join(tmpdir(), 'lanbox-coturn-'));
  const port = options.port ?? (await freePort());
  const relayPorts = options.relayPorts ?? 20;
  const minPort = await freePortRange(relayPorts);
  const config = [
    ...(options.baseConfig ?? LAB_CONFIG),
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + relayPorts - 1}`,
    `userdb=${join(dir, 'turndb')}`,
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `log-file=${join(dir, 'turn.log')}`,
    'simple-log',
    'no-stdout-log',
    ...(options.extra ?? []),
  ];
  const file = join(dir, 'turnserver.conf');
  await writeFile(file, config.join('\n') + '\n');
  // Foreground (no -o), so the pid we hold is coturn's own and killing it stops the server.
  const child = spawn(TURNSERVER, ['-c', file], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start turnserver');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForCoturn(port, child);
  } catch (e) {
    process.kill(pid, 'SIGKILL');
    throw e;
  }
  let stopped = false;
  return {
    port,
    pid,
    dir,
    relayPorts: Array.from({ length: relayPorts }, (_, i) => minPort + i),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
    async log() {
      // coturn appends a date to a simple-log file name only without simple-log; read whatever is there.
      return readFile(join(dir, 'turn.log'), 'utf8').catch(() => '');
    },
  };
}

/**
 * Waits (bounded, polling) until none of coturn's UDP relay ports is bound: coturn deletes an
 * allocation freed by Refresh(0) on its next 1 s timer, not at once, and closes its relay socket
 * then. Each port is tried with a bind of our own, released at once.
 */
export async function waitForRelayPortsFree(coturn: Coturn, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let bound = 0;
    for (const p of coturn.relayPorts) if (!(await isFreeUdp(p))) bound++;
    if (bound === 0) return;
    if (Date.now() > deadline) throw new Error(`${bound} of coturn's relay ports still bound after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The floor of any DHT node written on node:dgram: a Node process that answers each datagram
 * with one datagram and does nothing else (no decoding, no state), against `dhtnode -s -U`
 * answering real pings and the appliance answering them for real, under the same closed-loop
 * load. Prints user and system CPU microseconds per request for each.
 *
 * It shows how much of the appliance's CPU per request is Node's own per-datagram cost (the
 * 'message' event with its rinfo object and address string, a Buffer per datagram, the send
 * request) and how much is ours.
 *
 * Usage: npm run bench:floor
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LoadClient, type Target } from './load.js';
import { freePort } from '../test/interop/harness.js';
import { applianceBuilt, startAppliance, startDhtnode, type Server } from './targets.js';

const REQUESTS = 20_000;
const REPEATS = 3;

/** The bare responder: turns the request's first key `a` into `r` (an answer to the load client) and sends it back. */
const ECHO = `
const dgram = require('node:dgram');
const s = dgram.createSocket({ type: 'udp4', lookup: (a, f, cb) => cb(null, a, 4) });
s.on('message', (m, r) => { m[2] = 0x72; s.send(m, r.port, r.address); });
s.bind(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

function times(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[14 - 3]) / 100, sys: Number(f[15 - 3]) / 100 };
}

async function startEcho(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', ECHO, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  clearTimeout(timer);
  return {
    name: 'ours',
    pid: child.pid!,
    port,
    host: '127.0.0.1',
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

async function measure(client: LoadClient, label: string, server: Server, prepared: boolean): Promise<void> {
  const t: Target = { name: label, host: server.host, port: server.port };
  try {
    if (prepared) await client.prepare(t);
    else client.pingTemplatesOnly();
    await client.run(t, { workload: 'ping', count: REQUESTS / 2, window: 2, maxSeconds: 60 });
    const before = times(server.pid);
    let answered = 0;
    for (let i = 0; i < REPEATS; i++) answered += (await client.run(t, { workload: 'ping', count: REQUESTS, window: 2, maxSeconds: 60 })).replies;
    const after = times(server.pid);
    const us = (s: number): string => ((s * 1e6) / Math.max(1, answered)).toFixed(2).padStart(6);
    console.log(
      `${label.padEnd(24)} user ${us(after.user - before.user)} µs  sys ${us(after.sys - before.sys)} µs  total ${us(after.user - before.user + after.sys - before.sys)} µs per ping (${answered} answered)`,
    );
  } finally {
    await server.stop();
  }
}

const client = await LoadClient.create(64);
try {
  await measure(client, 'node:dgram echo (floor)', await startEcho(), false);
  if (applianceBuilt()) await measure(client, 'appliance', await startAppliance(false), true);
  await measure(client, 'dhtnode -s -U', await startDhtnode(false), true);
} finally {
  client.close();
}

import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** True when `port` can be bound on 127.0.0.1 for UDP right now (the socket is closed again). */
export async function isFreeUdp(port: number): Promise<boolean> {
  const udp = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((resolve) => udp.close(() => resolve()));
  return ok;
}

/** True when `port` can be bound on 127.0.0.1 for both UDP and TCP right now. */
async function isFree(port: number): Promise<boolean> {
  if (!(await isFreeUdp(port))) return false;
  const tcp = createServer();
  const tcpOk = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((resolve) => (tcpOk ? tcp.close(() => resolve()) : resolve()));
  return tcpOk;
}

/** A free port for both protocols, found by binding port 0 and checking the other protocol. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => {
      probe.listen(0, '127.0.0.1', () => {
        const a = probe.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (await isFree(port)) return port;
  }
  throw new Error('no free port found');
}

/** `count` consecutive ports free for UDP and TCP (coturn's relay range). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768+), so ports handed out for port 0 do not race with the relay range.
    const base = 20000 + Math.floor(Math.random() * 12000);
    let all = true;
    for (let p = base; p < base + count && all; p++) all = await isFree(p);
    if (all) return base;
  }
  throw new Error('no free port range found');
}

/**
 * In-process boxes for the replication tests: each is a name server and a replication module on
 * its own memory database, served by its own HTTP server on loopback. Links between boxes can be
 * cut (every request between the two fails at once, both ways), as a switch port going down would.
 */
import { constants, createHash, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { MemoryLevel } from 'memory-level';
import { createNameServer, type NameServer, type Registry } from '@lanbox/nameserver';
import { createHttpClient, createLevelState, createReplication, type PeerClient, type Replication, type ReplicationOptions } from '../src/index.js';

const generate = promisify(generateKeyPair);

export interface Account {
  readonly privateKey: KeyObject;
  readonly addr: string;
  readonly publickey: string;
}

export async function makeAccount(): Promise<Account> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
  const addr = createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { privateKey, addr, publickey: Buffer.from(String(publicKey.export({ type: 'spki', format: 'pem' }))).toString('base64') };
}

export function registration(a: Account, name: string, signature?: string): string {
  const sig = signature ?? sign('sha512', Buffer.from(name), { key: a.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
  return JSON.stringify({ addr: a.addr, owner: a.addr, signature: sig, publickey: a.publickey });
}

/** Which links are down: a set of "portA-portB" (sorted). */
export class Switch {
  readonly cut = new Set<string>();
  key(a: number, b: number): string {
    return a < b ? `${a}-${b}` : `${b}-${a}`;
  }
  down(a: TestBox, b: TestBox): void {
    this.cut.add(this.key(a.port, b.port));
  }
  up(a: TestBox, b: TestBox): void {
    this.cut.delete(this.key(a.port, b.port));
  }
  client(from: () => number): PeerClient {
    const inner = createHttpClient();
    return {
      request: async (to, ...rest) => {
        if (this.cut.has(this.key(from(), to.port))) throw new Error('link down');
        return inner.request(to, ...rest);
      },
      close: () => inner.close(),
    };
  }
}

export interface TestBox {
  readonly id: string;
  port: number;
  nameserver: NameServer;
  replication: Replication;
  readonly db: MemoryLevel<string, string>;
  url(path: string): string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function startBox(
  n: number,
  net: Switch,
  options: Partial<ReplicationOptions> = {},
  db = new MemoryLevel<string, string>(),
  port = 0,
  registry?: Registry,
): Promise<TestBox> {
  const id = createHash('sha1').update(`box ${n}`).digest('hex');
  let box: TestBox;
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (await box.replication.handle(req, res)) return;
      if (await box.nameserver.handle(req, res)) return;
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const nameserver = await createNameServer({ registrationsPerWindow: 1000 }, registry === undefined ? { db } : { registry });
  const replication = createReplication(
    { boxId: id, syncIntervalMs: 200, retryIntervalMs: 200, reserveTimeoutMs: 1000, ...options },
    {
      registry: nameserver,
      state: createLevelState(db),
      self: { webPort: () => box.port, dhtPort: () => null },
      client: net.client(() => box.port),
    },
  );
  await replication.start();
  const timer = setInterval(() => replication.tick(), 50);
  box = {
    id,
    port: (server.address() as AddressInfo).port,
    nameserver,
    replication,
    db,
    url: (path) => `http://127.0.0.1:${box.port}${path}`,
    async stop() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await replication.stop();
      await nameserver.close();
    },
    async restart() {
      const again = await startBox(n, net, options, db, box.port);
      Object.assign(box, { nameserver: again.nameserver, replication: again.replication, stop: again.stop });
    },
  };
  return box;
}

export async function register(box: TestBox, a: Account, name: string): Promise<number> {
  const res = await fetch(box.url(`/name/${name}`), { method: 'POST', body: registration(a, name) });
  await res.arrayBuffer();
  return res.status;
}

export async function lookup(box: TestBox, name: string): Promise<string | undefined> {
  const res = await fetch(box.url(`/name/${name}`));
  const body = (await res.json()) as { addr?: string };
  return res.status === 200 ? body.addr?.replace(/^0x/, '') : undefined;
}

export async function reverse(box: TestBox, addr: string): Promise<string | undefined> {
  const res = await fetch(box.url(`/addr/${addr}`));
  const body = (await res.json()) as { name?: string };
  return res.status === 200 ? body.name : undefined;
}

/** Polls until `check` returns a value other than undefined/false (bounded). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

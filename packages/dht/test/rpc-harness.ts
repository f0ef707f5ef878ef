/** A node under test on a memory network, and raw "probe" endpoints that speak wire messages to it. */
import { decodeMessage, encodeMessage } from '../src/codec/index.js';
import type { Family, Message, Reply, Request } from '../src/codec/types.js';
import {
  createDhtNode,
  createManualClock,
  createMemoryNetwork,
  type DhtNode,
  type DhtNodeOptions,
  type ManualClock,
  type MemoryNetwork,
  type Resolver,
} from '../src/index.js';
import { literalResolver, seededRng } from './testnet.js';

export interface Received {
  family: Family;
  address: string;
  port: number;
  bytes: Uint8Array;
  msg: Message;
}

export interface Probe {
  id: Uint8Array;
  address4: string;
  address6: string;
  port: number;
  inbox: Received[];
  send(family: Family, msg: Message, to?: { address: string; port: number }): void;
  sendRaw(family: Family, bytes: Uint8Array): void;
  request(family: Family, request: Request, tid?: number, extra?: Partial<Message>): number;
  /** Messages received since the last call. */
  take(): Received[];
}

export interface Harness {
  clock: ManualClock;
  network: MemoryNetwork;
  node: DhtNode;
  nodeAddress: { 4: string; 6: string };
  probe(options?: { address4?: string; address6?: string; port?: number; seed?: string }): Promise<Probe>;
  settle(ms?: number): void;
  stop(): Promise<void>;
}

let tidCounter = 1000;

export async function createHarness(options: DhtNodeOptions = {}, components: { resolver?: Resolver } = {}): Promise<Harness> {
  const clock = createManualClock();
  const network = createMemoryNetwork({ scheduler: clock, latencyMs: 1 });
  const transport = network.createTransport({ address4: '10.0.0.1', address6: 'fd00::1' });
  const node = createDhtNode(
    { tickIntervalMs: 1000, ...options },
    { transport, clock, scheduler: clock, rng: seededRng('node-under-test'), resolver: components.resolver ?? literalResolver },
  );
  await node.start();
  const nodeAddress = { 4: '10.0.0.1', 6: 'fd00::1' } as const;
  let probes = 0;

  return {
    clock,
    network,
    node,
    nodeAddress,
    async probe(probeOptions = {}) {
      probes++;
      const address4 = probeOptions.address4 ?? `10.0.1.${probes}`;
      const address6 = probeOptions.address6 ?? `fd00:1::${probes}`;
      const port = probeOptions.port ?? 5000 + probes;
      const t = network.createTransport({ address4, address6, port });
      await t.bind();
      const id = seededRng(probeOptions.seed ?? `probe-${probes}`)(20);
      const inbox: Received[] = [];
      t.onDatagram((family, address, p, bytes) => {
        const decoded = decodeMessage(bytes);
        if (decoded.ok) inbox.push({ family, address, port: p, bytes, msg: decoded.value });
      });
      const probe: Probe = {
        id,
        address4,
        address6,
        port,
        inbox,
        send(family, msg, to) {
          t.send(family, to?.address ?? nodeAddress[family], to?.port ?? 4222, encodeMessage(msg));
        },
        sendRaw(family, bytes) {
          t.send(family, nodeAddress[family], 4222, bytes);
        },
        request(family, request, tid = tidCounter++, extra = {}) {
          probe.send(family, { tid, networkId: 0, client: false, userAgent: 'o2', kind: 'request', request, ...extra } as Message);
          return tid;
        },
        take() {
          return inbox.splice(0, inbox.length);
        },
      };
      return probe;
    },
    settle(ms = 10) {
      clock.advance(ms);
    },
    async stop() {
      await node.stop();
    },
  };
}

/** The single reply (or error) with this tid in a batch of received messages. */
export function replyOf(batch: Received[], tid: number): Received & { msg: Message & { kind: 'reply' } } {
  const found = batch.filter((r) => r.msg.tid === tid && r.msg.kind === 'reply');
  if (found.length !== 1) throw new Error(`expected one reply with tid ${tid}, got ${found.length}`);
  return found[0] as Received & { msg: Message & { kind: 'reply' } };
}

export function errorOf(batch: Received[], tid: number): { code: number; message: string; id: Uint8Array } {
  const found = batch.filter((r) => r.msg.tid === tid && r.msg.kind === 'error');
  if (found.length !== 1) throw new Error(`expected one error with tid ${tid}, got ${found.length}`);
  const msg = found[0]!.msg as Message & { kind: 'error' };
  return msg.error;
}

export function replyBody(r: Received): Reply {
  if (r.msg.kind !== 'reply') throw new Error('not a reply');
  return r.msg.reply;
}

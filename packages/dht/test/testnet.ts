/**
 * In-memory multi-node test network: N nodes on one memory network sharing a manual clock, all
 * bootstrapped from the first one. Time only moves through `advance()`.
 */
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
import { seededBytes } from '../src/seeded-random.js';

/** Deterministic random bytes so test runs repeat exactly (the package's one seeded PRNG). */
export const seededRng = seededBytes;

/** Host names are IP literals in tests. */
export const literalResolver: Resolver = async (host) => [{ address: host, family: host.includes(':') ? 6 : 4 }];

export interface Testnet {
  clock: ManualClock;
  network: MemoryNetwork;
  nodes: DhtNode[];
  /** IPv4 address of node i. */
  address(i: number): string;
  /** Advance time in steps, letting promise callbacks run in between. */
  advance(ms: number): Promise<void>;
  /** Add and start one more node bootstrapped from node 0. */
  addNode(options?: DhtNodeOptions): Promise<DhtNode>;
  stop(): Promise<void>;
}

export interface TestnetOptions {
  size: number;
  latencyMs?: number;
  lossRate?: number;
  nodeOptions?: DhtNodeOptions;
  seed?: string;
}

export async function createTestnet(options: TestnetOptions): Promise<Testnet> {
  const clock = createManualClock();
  const network = createMemoryNetwork({ scheduler: clock, latencyMs: options.latencyMs ?? 1, lossRate: options.lossRate ?? 0 });
  const nodes: DhtNode[] = [];
  const addresses: string[] = [];
  const addresses6: string[] = [];
  const seed = options.seed ?? 'testnet';

  async function addNode(extra: DhtNodeOptions = {}): Promise<DhtNode> {
    const i = nodes.length;
    const transport = network.createTransport();
    addresses.push(transport.address(4)!);
    addresses6.push(transport.address(6)!);
    const bootstrap = i === 0 ? [] : [`${addresses[0]}:4222`, `[${addresses6[0]}]:4222`];
    const node = createDhtNode(
      { bootstrap, ...options.nodeOptions, ...extra },
      { transport, clock, scheduler: clock, rng: seededRng(`${seed}:${i}`), resolver: literalResolver },
    );
    nodes.push(node);
    await node.start();
    return node;
  }

  for (let i = 0; i < options.size; i++) await addNode();

  return {
    clock,
    network,
    nodes,
    address: (i) => addresses[i]!,
    advance: (ms) => clock.advanceAsync(ms, 50),
    addNode,
    async stop() {
      for (const node of nodes) await node.stop();
    },
  };
}

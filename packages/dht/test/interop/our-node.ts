/**
 * Our node for interop tests: the real `createDhtNode` with its real UDP transport, bound to
 * 127.0.0.1 and ::1 on a free port, in this process.
 */
import { createDhtNode, type DhtNode, type DhtNodeOptions, type Value } from '../../src/index.js';
import { freePort, withTimeout } from './harness.js';

export interface OurNode {
  node: DhtNode;
  port: number;
  idHex: string;
  /** Bootstrap pairs for python peers: both families. */
  bootstrap: Array<[string, number]>;
  /** Stops the node, failing (instead of hanging) after 5 s. */
  stop(): Promise<void>;
}

export async function startOurNode(options: DhtNodeOptions = {}): Promise<OurNode> {
  const port = await freePort();
  const node = createDhtNode({ port, bind4: '127.0.0.1', bind6: '::1', ...options });
  await node.start();
  if (node.port(4) !== port || node.port(6) !== port) {
    await node.stop();
    throw new Error(`our node did not bind ${port} on both families: ${node.port(4)} / ${node.port(6)}`);
  }
  return {
    node,
    port,
    idHex: Buffer.from(node.id).toString('hex'),
    bootstrap: [
      ['127.0.0.1', port],
      ['::1', port],
    ],
    stop: () => withTimeout(node.stop(), 5000, 'our node stop'),
  };
}

export function hexKey(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes).toString('hex');
}

/** Random 20-byte key as hex, so runs never see each other's values. */
export function randomKeyHex(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString('hex');
}

/** Random non-zero 64-bit value id. */
export function randomValueId(): bigint {
  const b = crypto.getRandomValues(new Uint8Array(8));
  b[0] = b[0]! | 1;
  return Buffer.from(b).readBigUInt64BE();
}

export function findValue(values: Value[], id: bigint): Value | undefined {
  return values.find((v) => v.id === id);
}

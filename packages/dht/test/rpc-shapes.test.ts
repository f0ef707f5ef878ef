/**
 * The node keeps the shapes of the requests it decodes alive across V8's memory-reducing GC
 * (src/rpc/recent-messages.ts): code optimized for a decoded put stays optimized after the GC that
 * the memory reducer or the appliance's heap release runs once a burst is over. The first test is
 * the control: with nothing holding a decoded put, the same GC does throw that code away.
 */
import assert from 'node:assert/strict';
import { Session } from 'node:inspector';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { decodeMessage, encodeMessage, makeValue, sha1 } from '../src/codec/index.js';
import type { Message } from '../src/codec/types.js';
import { createHarness } from './rpc-harness.js';

// Functions built after this may call V8's test natives (read when a function is compiled).
setFlagsFromString('--allow-natives-syntax');
const optimize = new Function('f', 'x', '%PrepareFunctionForOptimization(f); f(x); f(x); %OptimizeFunctionOnNextCall(f); f(x);') as (
  f: unknown,
  x: unknown,
) => void;
const status = new Function('f', 'return %GetOptimizationStatus(f);') as (f: unknown) => number;
/** V8's OptimizationStatus bit for "has optimized code" (runtime-test.cc). */
const OPTIMIZED = 1 << 4;

/** Reads what a put handler reads: properties the decoder adds one by one (`v`, key, token, body). */
function newReader(): (m: Message) => number {
  return new Function('m', 'return m.userAgent.length + m.request.key.length + m.request.token.length + m.request.values.values[0].body.type;') as (
    m: Message,
  ) => number;
}

function putDatagram(id: Uint8Array): Uint8Array {
  return encodeMessage({
    tid: 0x10000001,
    networkId: 0,
    client: false,
    userAgent: 'o2',
    kind: 'request',
    request: {
      type: 'put',
      id,
      key: sha1('shape-key'),
      token: new Uint8Array(32).fill(7),
      values: { kind: 'inline', values: [makeValue({ id: 5n, body: { type: 0, data: new Uint8Array(64).fill(1) } })] },
    },
  });
}

/** Optimizes `reader` for a freshly decoded put and lets the decoded message go. */
function optimizeFor(reader: (m: Message) => number, bytes: Uint8Array): void {
  const decoded = decodeMessage(bytes);
  assert.ok(decoded.ok);
  optimize(reader, decoded.value);
  assert.ok((status(reader) & OPTIMIZED) !== 0, 'the reader was optimized');
}

/** V8's low-memory GC, as the appliance's heap release asks for it. */
async function memoryReducingGc(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
  } finally {
    session.disconnect();
  }
}

describe('decoded message shapes', () => {
  it('control: with no decoded put alive, a memory-reducing GC throws away code optimized for one', async () => {
    const reader = newReader();
    optimizeFor(reader, putDatagram(sha1('control')));
    await memoryReducingGc();
    assert.equal(status(reader) & OPTIMIZED, 0);
  });

  it('a node that received a put keeps its shapes: the code stays optimized', async () => {
    const h = await createHarness({ rateLimit: null });
    try {
      const p = await h.probe();
      const bytes = putDatagram(p.id);
      p.sendRaw(4, bytes);
      h.settle();
      assert.equal(h.node.status().counters.requestsIn.put, 1);
      const reader = newReader();
      optimizeFor(reader, bytes);
      await memoryReducingGc();
      assert.notEqual(status(reader) & OPTIMIZED, 0);
    } finally {
      await h.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TurnRequestError } from '../src/client/errors.js';
import { TransactionLayer } from '../src/client/transactions.js';
import { Method } from '../src/codec/constants.js';
import { encodeMessage } from '../src/codec/message.js';
import type { StunChannel } from '../src/transport/channel.js';
import { createManualClock, type ManualClock } from '@lanbox/clock';

/** In-memory channel: records what is sent and lets the test play the server. */
class MemoryChannel implements StunChannel {
  readonly local = { family: 'IPv4' as const, address: '127.0.0.1', port: 1 };
  readonly sent: { at: number; bytes: Uint8Array }[] = [];
  #message: (b: Uint8Array) => void = () => undefined;
  #close: (r: string) => void = () => undefined;
  constructor(
    readonly kind: 'udp' | 'tcp',
    private readonly clock: ManualClock,
  ) {}
  send(bytes: Uint8Array): void {
    this.sent.push({ at: this.clock.now(), bytes });
  }
  onMessage(h: (b: Uint8Array) => void): void {
    this.#message = h;
  }
  onClose(h: (r: string) => void): void {
    this.#close = h;
  }
  close(): void {
    this.#close('closed');
  }
  deliver(bytes: Uint8Array): void {
    this.#message(bytes);
  }
}

let counter = 0;
const rng = (n: number): Uint8Array => Buffer.alloc(n, ++counter);
const OPTIONS = { rtoMs: 250, timeoutMs: 3000 };

function binding(tx: TransactionLayer) {
  const transactionId = tx.newTransactionId();
  return { transactionId, promise: tx.request({ method: Method.Binding, cls: 'request', transactionId, attributes: [] }, {}) };
}

describe('transactions', () => {
  it('UDP: retransmits with a doubling RTO, then times out at timeoutMs', async () => {
    const clock = createManualClock(0);
    const channel = new MemoryChannel('udp', clock);
    const tx = new TransactionLayer(channel, OPTIONS, clock, rng);
    const { promise } = binding(tx);
    clock.advance(3000);
    await assert.rejects(promise, (e: unknown) => e instanceof TurnRequestError && e.kind === 'timeout');
    assert.deepEqual(
      channel.sent.map((s) => s.at),
      [0, 250, 750, 1750],
    );
    assert.ok(channel.sent.every((s) => Buffer.from(s.bytes).equals(Buffer.from(channel.sent[0]?.bytes as Uint8Array))));
    assert.equal(tx.stats.retransmits, 3);
    assert.equal(clock.pending(), 0);
  });

  it('TCP: sends once and still times out', async () => {
    const clock = createManualClock(0);
    const channel = new MemoryChannel('tcp', clock);
    const tx = new TransactionLayer(channel, OPTIONS, clock, rng);
    const { promise } = binding(tx);
    clock.advance(3000);
    await assert.rejects(promise, /no answer/);
    assert.equal(channel.sent.length, 1);
  });

  it('matches the response by transaction id, stops retransmitting, counts junk and strays', async () => {
    const clock = createManualClock(0);
    const channel = new MemoryChannel('udp', clock);
    const tx = new TransactionLayer(channel, OPTIONS, clock, rng);
    const { transactionId, promise } = binding(tx);
    clock.advance(300);
    channel.deliver(Buffer.from('not stun at all, but long enough'));
    channel.deliver(encodeMessage({ method: Method.Binding, cls: 'success', transactionId: Buffer.alloc(12, 0xee), attributes: [] }));
    channel.deliver(encodeMessage({ method: Method.Binding, cls: 'success', transactionId, attributes: [] }));
    const res = await promise;
    assert.equal(res.cls, 'success');
    assert.deepEqual(tx.stats, { sent: 2, retransmits: 1, received: 3, malformed: 1, unmatched: 1 });
    clock.advance(10_000);
    assert.equal(channel.sent.length, 2);
    assert.equal(clock.pending(), 0);
  });

  it('error responses resolve (the caller reads ERROR-CODE); indications go to the indication handler', async () => {
    const clock = createManualClock(0);
    const channel = new MemoryChannel('tcp', clock);
    const tx = new TransactionLayer(channel, OPTIONS, clock, rng);
    const seen: number[] = [];
    tx.onIndication((m) => seen.push(m.method));
    const { transactionId, promise } = binding(tx);
    channel.deliver(encodeMessage({ method: Method.Data, cls: 'indication', transactionId: Buffer.alloc(12), attributes: [] }));
    channel.deliver(encodeMessage({ method: Method.Binding, cls: 'error', transactionId, attributes: [] }));
    assert.equal((await promise).cls, 'error');
    assert.deepEqual(seen, [Method.Data]);
  });

  it('a dying channel fails pending and later requests at once', async () => {
    const clock = createManualClock(0);
    const channel = new MemoryChannel('tcp', clock);
    const tx = new TransactionLayer(channel, OPTIONS, clock, rng);
    const { promise } = binding(tx);
    channel.close();
    await assert.rejects(promise, (e: unknown) => e instanceof TurnRequestError && e.kind === 'network');
    await assert.rejects(binding(tx).promise, /closed/);
    assert.equal(clock.pending(), 0);
  });
});

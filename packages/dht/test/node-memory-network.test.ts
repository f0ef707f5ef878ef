import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock, createMemoryNetwork } from '../src/index.js';

describe('memory network', () => {
  it('delivers after the latency, with the sender address, only to bound endpoints', async () => {
    const clock = createManualClock();
    const net = createMemoryNetwork({ scheduler: clock, latencyMs: 5 });
    const a = net.createTransport({ address4: '10.0.0.1', address6: 'fd00::1', port: 1000 });
    const b = net.createTransport({ address4: '10.0.0.2', address6: 'fd00::2', port: 2000 });
    await a.bind();
    await b.bind();
    const got: string[] = [];
    b.onDatagram((family, address, port, bytes) => got.push(`${family} ${address} ${port} ${bytes[0]}`));
    a.send(4, '10.0.0.2', 2000, Uint8Array.of(1));
    a.send(6, 'fd00::2', 2000, Uint8Array.of(2));
    a.send(4, '10.0.0.3', 2000, Uint8Array.of(3));
    clock.advance(4);
    assert.deepEqual(got, []);
    clock.advance(1);
    assert.deepEqual(got, ['4 10.0.0.1 1000 1', '6 fd00::1 1000 2']);
    assert.equal(net.stats().undeliverable, 1);
    await b.close();
    a.send(4, '10.0.0.2', 2000, Uint8Array.of(4));
    clock.advance(10);
    assert.equal(got.length, 2);
    assert.equal(b.localPort(4), null);
  });

  it('loses the configured share of datagrams', async () => {
    const clock = createManualClock();
    const net = createMemoryNetwork({ scheduler: clock, lossRate: 0.3 });
    const a = net.createTransport();
    const b = net.createTransport();
    await a.bind();
    await b.bind();
    let n = 0;
    b.onDatagram(() => n++);
    for (let i = 0; i < 1000; i++) a.send(4, b.address(4)!, 4222, Uint8Array.of(i & 0xff));
    clock.advance(10);
    assert.ok(n > 600 && n < 800, `${n} delivered`);
    assert.equal(net.stats().lost + n, 1000);
  });

  it('manual clock runs tasks in deadline order and supports cancel', () => {
    const clock = createManualClock(0);
    const order: string[] = [];
    clock.schedule(20, () => order.push('b'));
    clock.schedule(10, () => {
      order.push('a');
      clock.schedule(5, () => order.push('a2'));
    });
    const c = clock.schedule(15, () => order.push('never'));
    c.cancel();
    clock.advance(25);
    assert.deepEqual(order, ['a', 'a2', 'b']);
    assert.equal(clock.now(), 25);
  });
});

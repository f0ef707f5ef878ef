import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import { decodeValue, makeValue } from '../src/codec/value.js';
import { createStorage, sourceGroup, LOCAL_SOURCE } from '../src/storage/index.js';
import { CERT_24 } from './storage-vectors.js';
import { key, testClock } from './storage-helpers.js';

describe('storage: source groups', () => {
  const cases: Array<[string, string]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['[2001:db8:1:2::5]', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['fe80::2', 'fe80:0:0:0:0:0:0:2'],
    ['febf:0:0:0:1::9', 'febf:0:0:0:1:0:0:9'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['1::2:3:4:5:6:7', '1:0:2:3::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    [LOCAL_SOURCE, LOCAL_SOURCE],
  ];
  for (const [input, group] of cases) {
    it(`${input} → ${group}`, () => assert.equal(sourceGroup(input), group));
  }

  it('never throws and is idempotent on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (s) => {
        const g = sourceGroup(s);
        assert.equal(typeof g, 'string');
        assert.equal(sourceGroup(g.endsWith('::/64') ? g.slice(0, -3) + '1' : g), g);
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });
});

describe('storage: fuzzed inputs', () => {
  const certValue = decodeValue(Uint8Array.from(Buffer.from(CERT_24.packed, 'hex')));
  assert.ok(certValue.ok);
  const certData = certValue.value.body!.data;

  it('type-8 puts of random and mutated certificates are refused or stored, never throw', () => {
    const storage = createStorage({}, { clock: testClock() });
    const k = Uint8Array.from(Buffer.from(CERT_24.key, 'hex'));
    let id = 2n;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.record({ at: fc.nat(certData.length - 1), byte: fc.nat(255), cut: fc.nat(certData.length) }).map(({ at, byte, cut }) => {
            const m = Uint8Array.from(certData);
            m[at] = byte;
            return m.subarray(0, Math.max(cut, at + 1));
          }),
        ),
        (data) => {
          const outcome = storage.put(k, makeValue({ id: id++, body: { type: 8, data } }), { source: '10.0.0.1' }).outcome;
          assert.ok(outcome.result === 'stored' || (outcome.result === 'rejected' && outcome.reason === 'bad-certificate'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random operations keep the counters consistent with the contents', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('put', 'refresh', 'listen', 'advance', 'tick'),
            key: fc.nat(5),
            id: fc.bigInt({ min: 0n, max: 6n }),
            type: fc.constantFrom(0, 1, 2, 3, 5, 8, 9),
            data: fc.uint8Array({ maxLength: 40 }),
            source: fc.constantFrom('10.0.0.1', '10.0.0.2', '2001:db8::1', '2001:db8::2', LOCAL_SOURCE),
            ms: fc.nat(4 * 60_000),
          }),
          { maxLength: 60 },
        ),
        (ops) => {
          const clock = testClock();
          const storage = createStorage({ maxValues: 8, maxValuesPerKey: 3, maxKeys: 4, maxListeners: 4 }, { clock });
          const usedKeys: ReturnType<typeof key>[] = [];
          for (const o of ops) {
            const k = key(`k${o.key}`);
            if (!usedKeys.some((u) => Buffer.from(u).equals(k))) usedKeys.push(k);
            if (o.op === 'put') {
              const v = makeValue({ id: o.id, body: { type: o.type, data: o.data } });
              storage.put(k, v, { source: o.source, createdMs: clock.now() - o.ms });
            } else if (o.op === 'refresh') storage.refresh(k, o.id);
            else if (o.op === 'listen') storage.listen(k, { node: key(o.source), address: o.source, port: 1, family: 4, socketId: o.key, version: 1 });
            else if (o.op === 'advance') clock.advance(o.ms);
            else storage.tick();
            const s = storage.stats();
            const all = usedKeys.flatMap((kk) => storage.get(kk));
            assert.equal(all.length, s.values);
            assert.ok(s.values <= 8 && s.keys <= 4 && s.listeners <= 4);
            const bytes = all.reduce((n, v) => n + v.packed.length + 360, 0);
            assert.equal(bytes, s.bytes);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

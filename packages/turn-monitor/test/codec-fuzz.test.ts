import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import { decodeXorAddress, encodeXorAddress } from '../src/codec/address.js';
import { readErrorCode, readText, readUint32, readXorAddress } from '../src/codec/attributes.js';
import { Attr, Method } from '../src/codec/constants.js';
import { StreamFramer } from '../src/codec/framing.js';
import { longTermKey, verifyFingerprint, verifyIntegrity } from '../src/codec/integrity.js';
import { bytesToIp, ipToBytes } from '../src/codec/ip.js';
import { decodeMessage, encodeMessage } from '../src/codec/message.js';
import { parseTurnUrl } from '../src/monitor/server-url.js';
import { validateSummary } from '../src/store/summary-store.js';

const RUNS = { numRuns: fuzzRuns(2000), seed: 5769 };
const KEY = longTermKey('ring', 'ring', 'ring');

/** A realistic message to mutate: an Allocate success like coturn's, signed and fingerprinted. */
function seedMessage(): Uint8Array {
  const tid = Buffer.from('a1a2a3a4a5a6a7a8a9aaabac', 'hex');
  return encodeMessage(
    {
      method: Method.Allocate,
      cls: 'success',
      transactionId: tid,
      attributes: [
        { type: Attr.XorRelayedAddress, value: encodeXorAddress({ family: 'IPv4', address: '10.0.0.2', port: 50000 }, tid) as Uint8Array },
        { type: Attr.XorMappedAddress, value: encodeXorAddress({ family: 'IPv6', address: 'fd00::2', port: 40000 }, tid) as Uint8Array },
        { type: Attr.Lifetime, value: Uint8Array.of(0, 0, 2, 88) },
        { type: Attr.ErrorCode, value: Uint8Array.of(0, 0, 4, 1, 0x55) },
        { type: Attr.Software, value: Buffer.from('Coturn-4.6.1') },
      ],
    },
    { integrityKey: KEY, fingerprint: true },
  );
}

/** Everything a caller might do with a decoded message; none of it may throw. */
function exercise(bytes: Uint8Array): void {
  const r = decodeMessage(bytes);
  if (!r.ok) {
    assert.equal(typeof r.error, 'string');
    return;
  }
  const m = r.value;
  assert.ok(m.attributes.length <= 64);
  verifyIntegrity(m, KEY);
  verifyFingerprint(m);
  readErrorCode(m);
  readText(m, Attr.Software);
  readUint32(m, Attr.Lifetime);
  readXorAddress(m, Attr.XorMappedAddress);
  readXorAddress(m, Attr.XorRelayedAddress);
  for (const a of m.attributes) decodeXorAddress(a.value, m.transactionId);
}

describe('codec fuzzing', () => {
  it('random bytes never make the decoder or attribute readers throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => exercise(bytes)),
      RUNS,
    );
  });

  it('random bodies behind a valid header never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 0x3fff }), (body, type) => {
        const header = Buffer.alloc(20);
        header.writeUInt16BE(type, 0);
        header.writeUInt16BE(body.length & 0xfffc, 2);
        header.writeUInt32BE(0x2112a442, 4);
        exercise(Buffer.concat([header, body.subarray(0, body.length & 0xfffc)]));
      }),
      RUNS,
    );
  });

  it('mutated, truncated and extended real messages never throw, and tampering is detected', () => {
    const seed = seedMessage();
    const clean = decodeMessage(seed);
    assert.ok(clean.ok && verifyIntegrity(clean.value, KEY) === true && verifyFingerprint(clean.value) === true);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(seed.length),
        fc.uint8Array({ maxLength: 16 }),
        (flips, cut, extra) => {
          const mutated = Buffer.from(seed);
          for (const [at, x] of flips) mutated[at] = (mutated[at] as number) ^ x;
          exercise(mutated);
          exercise(mutated.subarray(0, cut));
          exercise(Buffer.concat([mutated, extra]));
          const r = decodeMessage(mutated);
          // A flip inside the protected part must never leave both checks passing.
          if (r.ok && flips.some(([at]) => at >= 20 && at < seed.length - 8)) {
            assert.ok(!(verifyIntegrity(r.value, KEY) === true && verifyFingerprint(r.value) === true));
          }
        },
      ),
      RUNS,
    );
  });

  it('the TCP framer never throws, never holds more than one frame, and re-chunking does not change frames', () => {
    const seed = Buffer.from(seedMessage());
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 10 }), (chunks) => {
        const f = new StreamFramer();
        for (const c of chunks) {
          const out = f.push(c);
          assert.ok(f.leftover().length <= 0xffff + 20);
          if (out.error) break;
        }
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.array(fc.nat(seed.length * 3), { maxLength: 6 }), (cuts) => {
        const stream = Buffer.concat([seed, seed, seed]);
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const f = new StreamFramer();
        const frames: Uint8Array[] = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          frames.push(...f.push(stream.subarray(from, p)).frames);
          from = p;
        }
        assert.equal(frames.length, 3);
        for (const fr of frames) assert.deepEqual(Buffer.from(fr), seed);
      }),
      RUNS,
    );
  });

  it('IP text and bytes round-trip for any v4 and v6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const bytes = ipToBytes(ip);
        assert.ok(bytes);
        const back = bytesToIp(bytes);
        assert.deepEqual(ipToBytes(back), bytes);
      }),
      RUNS,
    );
    assert.equal(bytesToIp(ipToBytes('2001:db8:0:0:1:0:0:1') as Uint8Array), '2001:db8::1:0:0:1');
    assert.equal(bytesToIp(ipToBytes('::ffff:192.0.2.1') as Uint8Array), '::ffff:c000:201');
    assert.equal(ipToBytes('not an ip'), undefined);
  });

  it('server URL parsing and stored-summary validation never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.string().map((s) => `turn://${s}`),
        ),
        (text) => {
          const r = parseTurnUrl(text);
          // The display URL never carries the password.
          if (r.ok) assert.ok(!r.value.url.includes(`:${encodeURIComponent(r.value.password)}@`) && !r.value.url.includes(':***@'));
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => void validateSummary(v)),
      RUNS,
    );
  });
});

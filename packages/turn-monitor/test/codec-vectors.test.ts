import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeXorAddress, encodeXorAddress } from '../src/codec/address.js';
import { readText, readXorAddress, textAttribute } from '../src/codec/attributes.js';
import { Attr, Method } from '../src/codec/constants.js';
import { computeFingerprint, computeIntegrity, longTermKey, verifyFingerprint, verifyIntegrity } from '../src/codec/integrity.js';
import { decodeMessage, encodeMessage, type DecodedMessage } from '../src/codec/message.js';

// RFC 5769 test vectors, transcribed from the RFC's hex dumps.
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);

const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);

const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

const SAMPLE_LONG_TERM_REQUEST = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

const SHORT_TERM_PASSWORD = Buffer.from('VOkJxbRl1RmTxUk/WvJxBt');

function decode(bytes: Uint8Array): DecodedMessage {
  const r = decodeMessage(bytes);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

/** Recomputes the vector's MESSAGE-INTEGRITY and FINGERPRINT from its own prefix and compares bytes. */
function assertTrailer(bytes: Buffer, key: Uint8Array, withFingerprint: boolean): void {
  const m = decode(bytes);
  const miIndex = m.attributes.findIndex((a) => a.type === Attr.MessageIntegrity);
  const miOffset = m.offsets[miIndex] as number;
  const mac = computeIntegrity(bytes.subarray(0, miOffset), miOffset - 20 + 24, key);
  assert.deepEqual(Buffer.from(mac), bytes.subarray(miOffset + 4, miOffset + 24));
  if (withFingerprint) {
    const fpOffset = miOffset + 24;
    const crc = computeFingerprint(bytes.subarray(0, fpOffset), fpOffset - 20 + 8);
    assert.equal(crc, bytes.readUInt32BE(fpOffset + 4));
    assert.equal(verifyFingerprint(m), true);
  }
  assert.equal(verifyIntegrity(m, key), true);
}

describe('RFC 5769 test vectors', () => {
  it('2.1 sample request: header, attributes, MESSAGE-INTEGRITY (short-term) and FINGERPRINT', () => {
    const m = decode(SAMPLE_REQUEST);
    assert.equal(m.method, Method.Binding);
    assert.equal(m.cls, 'request');
    assert.equal(Buffer.from(m.transactionId).toString('hex'), 'b7e7a701bc34d686fa87dfae');
    assert.equal(readText(m, Attr.Software), 'STUN test client');
    assert.equal(readText(m, Attr.Username), 'evtj:h6vY');
    assertTrailer(SAMPLE_REQUEST, SHORT_TERM_PASSWORD, true);
  });

  it('2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, integrity and fingerprint', () => {
    const m = decode(SAMPLE_IPV4_RESPONSE);
    assert.equal(m.cls, 'success');
    assert.equal(readText(m, Attr.Software), 'test vector');
    const addr = readXorAddress(m, Attr.XorMappedAddress);
    assert.deepEqual(addr, { ok: true, value: { family: 'IPv4', address: '192.0.2.1', port: 32853 } });
    assertTrailer(SAMPLE_IPV4_RESPONSE, SHORT_TERM_PASSWORD, true);
    const encoded = encodeXorAddress({ family: 'IPv4', address: '192.0.2.1', port: 32853 }, m.transactionId);
    assert.deepEqual(Buffer.from(encoded as Uint8Array), SAMPLE_IPV4_RESPONSE.subarray(40, 48));
  });

  it('2.3 IPv6 response: XOR-MAPPED-ADDRESS 2001:db8:1234:5678:11:2233:4455:6677:32853', () => {
    const m = decode(SAMPLE_IPV6_RESPONSE);
    const addr = readXorAddress(m, Attr.XorMappedAddress);
    assert.deepEqual(addr, {
      ok: true,
      value: { family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 },
    });
    assertTrailer(SAMPLE_IPV6_RESPONSE, SHORT_TERM_PASSWORD, true);
    const encoded = encodeXorAddress({ family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, m.transactionId);
    assert.deepEqual(Buffer.from(encoded as Uint8Array), SAMPLE_IPV6_RESPONSE.subarray(40, 60));
  });

  it('2.4 long-term credential request: encoded byte for byte from its parameters', () => {
    // Password after SASLprep is "TheMatrIX" (RFC 5769 §2.4).
    const key = longTermKey('マトリックス', 'example.org', 'TheMatrIX');
    const encoded = encodeMessage(
      {
        method: Method.Binding,
        cls: 'request',
        transactionId: SAMPLE_LONG_TERM_REQUEST.subarray(8, 20),
        attributes: [
          textAttribute(Attr.Username, 'マトリックス'),
          textAttribute(Attr.Nonce, 'f//499k954d6OL34oL9FSTvy64sA'),
          textAttribute(Attr.Realm, 'example.org'),
        ],
      },
      { integrityKey: key },
    );
    assert.deepEqual(Buffer.from(encoded), SAMPLE_LONG_TERM_REQUEST);
    const m = decode(SAMPLE_LONG_TERM_REQUEST);
    assert.equal(verifyIntegrity(m, key), true);
    assert.equal(verifyIntegrity(m, longTermKey('マトリックス', 'example.org', 'TheMatrix')), false);
  });

  it('detects a flipped bit in a protected attribute and in the fingerprint', () => {
    const tampered = Buffer.from(SAMPLE_IPV4_RESPONSE);
    tampered[52] = (tampered[52] as number) ^ 1; // inside XOR-MAPPED-ADDRESS
    const m = decode(tampered);
    assert.equal(verifyIntegrity(m, SHORT_TERM_PASSWORD), false);
    assert.equal(verifyFingerprint(m), false);
  });

  it('our own encoder output verifies with our own checks and decodes to the same fields', () => {
    const tid = Buffer.from('000102030405060708090a0b', 'hex');
    const key = longTermKey('ring', 'ring', 'ring');
    const peer = { family: 'IPv6' as const, address: 'fe80::1', port: 4242 };
    const bytes = encodeMessage(
      {
        method: Method.CreatePermission,
        cls: 'request',
        transactionId: tid,
        attributes: [{ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) as Uint8Array }],
      },
      { integrityKey: key, fingerprint: true },
    );
    const m = decode(bytes);
    assert.equal(m.method, Method.CreatePermission);
    assert.equal(verifyIntegrity(m, key), true);
    assert.equal(verifyFingerprint(m), true);
    assert.deepEqual(decodeXorAddress(m.attributes[0]?.value as Uint8Array, tid), { ok: true, value: peer });
  });
});

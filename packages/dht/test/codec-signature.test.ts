/**
 * Signatures and key ids against the captured values: signed values from 2.4.12 (B) and 4.3.1
 * (E) verify over the canonical ToSign re-encoding; certificates yield the key ids listed in the
 * vector READMEs.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  certificateKeyIds,
  decodeValue,
  encodeValueBodyToSign,
  makeValue,
  publicKeyId,
  publicKeyLongId,
  publicKeyLongIdHash,
  toHex,
  verifyValueSignature,
  type Value,
} from '../src/codec/index.js';
import { loadVectors } from './codec-fixtures.js';

const vectors = loadVectors();

function reassembledValue(dir: string, name: string): Value {
  const v = vectors.find((x) => x.dir.includes(dir) && x.name === name);
  assert.ok(v?.reassembled, `${dir}/${name} has a reassembled value`);
  const packed = Uint8Array.from(Buffer.from(v.reassembled['0']!.hex, 'hex'));
  const res = decodeValue(packed);
  assert.ok(res.ok);
  return res.value;
}

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index]! ^= 0x01;
  return copy;
}

const B_KEY_ID = '77cadf0672867a501bae25b4c9368a97b9a85d7e';
const E_KEY_ID = '09c524282f28bc9a3115849334dcf6236172e95c';
const E_PKID = 'e0dd5590258cb0030b3953a81948eeb5cab3468da990730da78971a1bb9a0446';
const E_PKID_HASH = 'd13cce565a4dd6c1734dfe938e9024c2f1de323e';

const signed = [
  { dir: '2.4', name: 'put-request-signed-header', keyId: B_KEY_ID },
  { dir: '4.3', name: 'put-request-signed-header', keyId: E_KEY_ID },
  { dir: '4.3', name: 'update-request-signed-header', keyId: E_KEY_ID },
];

describe('codec: value signatures', () => {
  for (const s of signed) {
    it(`${s.dir}/${s.name}: RSA-4096 signature verifies over the canonical ToSign bytes`, () => {
      const v = reassembledValue(s.dir, s.name);
      assert.ok(v.body?.owner && v.signature && v.body.seq !== undefined);
      assert.equal(v.signature.length, 512);
      assert.equal(verifyValueSignature(v), true);
      // The canonical bytes appear verbatim in the packet (spec §19).
      const toSign = encodeValueBodyToSign(v.body);
      assert.ok(Buffer.from(v.packed).includes(Buffer.from(toSign)));
      assert.equal(toHex(publicKeyId(v.body.owner)), s.keyId);
    });

    it(`${s.dir}/${s.name}: any flipped bit makes verification fail`, () => {
      const v = reassembledValue(s.dir, s.name);
      const body = v.body!;
      assert.equal(verifyValueSignature({ ...v, signature: flipBit(v.signature!, 100) }), false);
      assert.equal(verifyValueSignature({ ...v, body: { ...body, data: flipBit(body.data, 0) } }), false);
      assert.equal(verifyValueSignature({ ...v, body: { ...body, seq: body.seq! + 1 } }), false);
      assert.equal(verifyValueSignature({ ...v, body: { ...body, type: body.type + 1 } }), false);
      assert.equal(verifyValueSignature({ ...v, body: { ...body, userType: 'x' } }), false);
      // A corrupted key is rejected without throwing.
      assert.equal(verifyValueSignature({ ...v, body: { ...body, owner: flipBit(body.owner!, 3) } }), false);
      assert.equal(verifyValueSignature({ ...v, body: { ...body, owner: new Uint8Array(10) } }), false);
    });
  }

  it('unsigned and encrypted values do not verify', () => {
    const unsigned = reassembledValue('2.4', 'put-request-fragmented-header');
    assert.equal(verifyValueSignature(unsigned), false);
    const encrypted = reassembledValue('2.4', 'put-request-encrypted-header');
    assert.ok(encrypted.cypher);
    assert.equal(verifyValueSignature(encrypted), false);
  });

  it('a value signed here with a fresh RSA key verifies, and EC keys are refused like OpenDHT', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const owner = Uint8Array.from(publicKey.export({ type: 'spki', format: 'der' }));
    const body = { seq: 3, owner, type: 0, data: Uint8Array.of(1, 2, 3), userType: 'text/plain' };
    const signature = Uint8Array.from(sign('sha512', encodeValueBodyToSign(body), privateKey));
    const v = makeValue({ id: 42n, body, signature });
    assert.equal(verifyValueSignature(v), true);
    const back = decodeValue(v.packed);
    assert.ok(back.ok);
    assert.equal(verifyValueSignature(back.value), true);

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecOwner = Uint8Array.from(ec.publicKey.export({ type: 'spki', format: 'der' }));
    const ecBody = { ...body, owner: ecOwner };
    const ecSig = Uint8Array.from(sign('sha512', encodeValueBodyToSign(ecBody), ec.privateKey));
    assert.equal(verifyValueSignature(makeValue({ id: 43n, body: ecBody, signature: ecSig })), false);
  });
});

describe('codec: public-key ids and certificates', () => {
  it("4.3: E's key ids match the README table (SHA-1, PkId, h(PkId))", () => {
    const v = reassembledValue('4.3', 'put-request-signed-header');
    const owner = v.body!.owner!;
    assert.equal(toHex(publicKeyId(owner)), E_KEY_ID);
    assert.equal(toHex(publicKeyLongId(owner)), E_PKID);
    assert.equal(toHex(publicKeyLongIdHash(owner)), E_PKID_HASH);
  });

  it("2.4 certificate value: key id is B's public key id (the key it was put at)", () => {
    const v = reassembledValue('2.4', 'put-request-certificate-header');
    assert.equal(v.id, 1n);
    assert.equal(v.body?.type, 8);
    const ids = certificateKeyIds(v);
    assert.ok(ids);
    assert.equal(toHex(ids.keyId), B_KEY_ID);
    // The signed value B put uses the same key.
    const signedByB = reassembledValue('2.4', 'put-request-signed-header');
    assert.equal(toHex(ids.longIdHash), toHex(publicKeyLongIdHash(signedByB.body!.owner!)));
  });

  it("4.3 certificate value: h(PkId) is E's (the key it was put at) and the SHA-1 id is E's key id", () => {
    const v = reassembledValue('4.3', 'put-request-certificate-header');
    const header = vectors.find((x) => x.dir.includes('4.3') && x.name === 'put-request-certificate-header')!;
    const ids = certificateKeyIds(v);
    assert.ok(ids);
    assert.equal(toHex(ids.longIdHash), E_PKID_HASH);
    assert.ok(header.hex.includes(E_PKID_HASH), 'the put targets h(PkId)');
    assert.equal(toHex(ids.keyId), E_KEY_ID);
  });

  it('non-certificate values and garbage certificates give no key ids', () => {
    assert.equal(certificateKeyIds(reassembledValue('2.4', 'put-request-fragmented-header')), undefined);
    const junk = makeValue({ id: 1n, body: { type: 8, data: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----') } });
    assert.equal(certificateKeyIds(junk), undefined);
    assert.equal(certificateKeyIds(makeValue({ id: 1n, body: { type: 8, data: new Uint8Array(5) } })), undefined);
  });
});

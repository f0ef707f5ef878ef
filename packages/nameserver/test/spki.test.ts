/**
 * The fast RSA key path: a canonical SubjectPublicKeyInfo is read without OpenSSL's decoders and
 * hashed as received. It must agree with OpenSSL (decode + re-export) on every input it accepts.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import { decodeRsaSpki, encodeRsaSpki } from '../src/codec/spki.js';
import { decodeAccountKey } from '../src/identity.js';

const keys = [1024, 2048, 3072].map((bits) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }));

function opensslReexport(der: Buffer): Buffer | undefined {
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

describe('canonical RSA SPKI', () => {
  it('reads real keys and encodes them back byte for byte', () => {
    for (const der of keys) {
      const key = decodeRsaSpki(der);
      assert.ok(key.ok);
      assert.deepEqual(encodeRsaSpki(key.value), der);
    }
  });

  it('gives the same Jami ID and key size as the OpenSSL path', () => {
    for (const der of keys) {
      const pem = `-----BEGIN PUBLIC KEY-----\n${der
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')
        .trim()}\n-----END PUBLIC KEY-----\n`;
      const fast = decodeAccountKey(Buffer.from(pem).toString('base64'));
      assert.ok(fast.ok);
      const slow = createPublicKey({ key: der, format: 'der', type: 'spki' });
      assert.equal(fast.value.key.asymmetricKeyDetails?.modulusLength, slow.asymmetricKeyDetails?.modulusLength);
      assert.deepEqual(fast.value.key.export({ type: 'spki', format: 'der' }), slow.export({ type: 'spki', format: 'der' }));
    }
  });

  it('whatever it accepts, OpenSSL re-exports to the same bytes (mutated keys, fixed seed)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (der, edits) => {
        const bytes = Buffer.from(der);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        const parsed = decodeRsaSpki(bytes);
        if (parsed.ok) assert.deepEqual(opensslReexport(bytes), bytes);
      }),
      { seed: 15, numRuns: fuzzRuns(1000) },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        decodeRsaSpki(Buffer.from(bytes));
      }),
      { seed: 15, numRuns: fuzzRuns(2000) },
    );
  });
});

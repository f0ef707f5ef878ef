import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBase64 } from '../src/codec/base64.js';
import { decodeExport } from '../src/codec/export-file.js';
import { decodeHexId } from '../src/codec/hex-id.js';
import { decodeNameSegment, normalizeName } from '../src/codec/name.js';
import { decodePublicKeyPem } from '../src/codec/pem.js';
import { decodeRecord, decodeStoredRecord, encodeRecord } from '../src/codec/record.js';
import { decodeRegistration } from '../src/codec/registration.js';
import { decodeRoute } from '../src/codec/route.js';
import { checkIdentity, checkLookupAnswer, decodeAccountKey } from '../src/identity.js';

const RUNS = { numRuns: 500, seed: 20261126 };
const REGISTRATION = JSON.parse(readFileSync(new URL('./vectors/jami-nameserver/03-register-name-post-name-200.json', import.meta.url), 'utf8')) as {
  request: { body: string };
};
const BODY = Buffer.from(REGISTRATION.request.body);
const BOUNDS = { minKeyBits: 2048, maxKeyBits: 8192 };

/** Byte-level mutations of a valid input: flips, truncation, duplication, insertion. */
const mutated = (base: Buffer) =>
  fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'truncate', 'insert', 'dup')).map(([at, byte, how]) => {
    switch (how) {
      case 'flip': {
        const copy = Buffer.from(base);
        copy[at] = byte;
        return copy;
      }
      case 'truncate':
        return base.subarray(0, at);
      case 'insert':
        return Buffer.concat([base.subarray(0, at), Buffer.of(byte), base.subarray(at)]);
      default:
        return Buffer.concat([base, base.subarray(at)]);
    }
  });

describe('name codec', () => {
  it('accepts the rule and canonicalizes case and percent-encoding', () => {
    assert.deepEqual(decodeNameSegment('Alice'), { ok: true, value: 'alice' });
    assert.deepEqual(decodeNameSegment('a%2Db_c'), { ok: true, value: 'a-b_c' });
    assert.deepEqual(decodeNameSegment('abc'), { ok: true, value: 'abc' });
    assert.equal(decodeNameSegment('ab').ok, false);
    assert.equal(decodeNameSegment('a'.repeat(33)).ok, false);
    assert.equal(decodeNameSegment('a.b.c').ok, false);
    assert.equal(decodeNameSegment('%C3%A9t%C3%A9').ok, false);
    assert.equal(decodeNameSegment('%').ok, false);
    assert.equal(normalizeName('\u212Aelvin').ok, false);
  });

  it('never throws, and whatever it accepts satisfies the rule and is a fixed point', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const r = decodeNameSegment(s);
        if (r.ok) {
          assert.match(r.value, /^[a-z0-9_-]{3,32}$/);
          assert.deepEqual(decodeNameSegment(r.value), r);
        }
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => void decodeNameSegment(encodeURIComponent(s))),
      RUNS,
    );
  });
});

describe('id, base64 and PEM codecs', () => {
  it('hex ids: prefixes stripped, case folded, anything else refused', () => {
    const id = 'e5cc09aab2ebcd4850ff41ba5394b423f82f8ac6';
    for (const form of [id, `0x${id}`, `0X${id}`, `jami:${id}`, `ring:${id}`, id.toUpperCase(), `ring:0x${id}`]) {
      assert.deepEqual(decodeHexId(form), { ok: true, value: id }, form);
    }
    for (const bad of ['', id.slice(1), `${id}0`, `0x${id}0`, `jami:${id.replace('e', 'g')}`, ` ${id}`]) assert.equal(decodeHexId(bad).ok, false, bad);
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const r = decodeHexId(s);
        if (r.ok) assert.match(r.value, /^[0-9a-f]{40}$/);
      }),
      RUNS,
    );
  });

  it('base64: strict, bounded', () => {
    assert.deepEqual(decodeBase64('AAEC', 10), { ok: true, value: Buffer.of(0, 1, 2) });
    for (const bad of ['', 'AAE', 'AA=C', 'AA E', 'AAEC=', '****', 'AB==', 'AAB=']) assert.equal(decodeBase64(bad, 10).ok, false, bad);
    assert.deepEqual(decodeBase64('AAAAAAAA', 3), { ok: false, error: 'too large' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        if (bytes.length > 0) assert.deepEqual(decodeBase64(text, 64), { ok: true, value: Buffer.from(bytes) });
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => void decodeBase64(s, 64)),
      RUNS,
    );
  });

  it('PEM: with or without the trailing NUL; never throws on mutations', () => {
    const fields = JSON.parse(REGISTRATION.request.body) as { publickey: string };
    const pem = Buffer.from(fields.publickey, 'base64');
    assert.equal(pem[pem.length - 1], 0);
    const withNul = decodePublicKeyPem(pem);
    const without = decodePublicKeyPem(pem.subarray(0, -1));
    assert.ok(withNul.ok && without.ok);
    assert.deepEqual(withNul.value, without.value);
    assert.equal(decodePublicKeyPem(Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).ok, false);
    fc.assert(
      fc.property(mutated(pem), (m) => void decodePublicKeyPem(m)),
      RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (m) => void decodePublicKeyPem(m)),
      RUNS,
    );
  });

  it('the account key of vector 03 hashes to its addr', () => {
    const fields = JSON.parse(REGISTRATION.request.body) as { publickey: string; addr: string };
    const key = decodeAccountKey(fields.publickey);
    assert.ok(key.ok);
    assert.equal(key.value.jamiId, fields.addr);
  });
});

describe('registration body codec', () => {
  it("decodes jamid's body", () => {
    const r = decodeRegistration(BODY);
    assert.ok(r.ok);
    assert.equal(r.value.addr, '3133a4cb6724463566115d8087b9ec9c2b9461d6');
    assert.equal(r.value.owner, '477d7a39fbfb90016b403e9a344b96fb6ccb1383');
  });

  it('never throws on random or mutated bodies; mutated proofs never pass the identity check unless unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodeRegistration(b)),
      RUNS,
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 2 }), (j) => void decodeRegistration(Buffer.from(j))),
      RUNS,
    );
    const original = decodeRegistration(BODY);
    assert.ok(original.ok);
    fc.assert(
      fc.property(mutated(BODY), (m) => {
        const r = decodeRegistration(m);
        if (!r.ok) return;
        const result = checkIdentity({ name: 'e2e-a-i9c7g9', ...r.value }, BOUNDS);
        const sameProof =
          r.value.addr === original.value.addr && r.value.publickey === original.value.publickey && r.value.signature === original.value.signature;
        if (!sameProof) assert.equal(result.ok, false);
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});

describe('route codec', () => {
  it("maps jamid's requests", () => {
    assert.deepEqual(decodeRoute('GET', '/name/Alice', ''), { ok: true, value: { kind: 'lookup-name', name: 'alice' } });
    assert.deepEqual(decodeRoute('POST', '/name/alice', ''), { ok: true, value: { kind: 'register', name: 'alice' } });
    assert.deepEqual(decodeRoute('GET', '/addr/0x' + 'a'.repeat(40), ''), { ok: true, value: { kind: 'lookup-addr', addr: 'a'.repeat(40) } });
    assert.deepEqual(decodeRoute('GET', 'http://box:8080/name/alice?x', ''), { ok: true, value: { kind: 'lookup-name', name: 'alice' } });
    assert.deepEqual(decodeRoute('DELETE', '/ns/name/alice', '/ns'), { ok: true, value: { kind: 'remove', name: 'alice' } });
    assert.equal(decodeRoute('GET', '/name/alice', '/ns'), undefined);
    assert.equal(decodeRoute('GET', '/api/status', ''), undefined);
    assert.equal(decodeRoute('GET', 'garbage', ''), undefined);
  });

  it('never throws; POST under /name/ is never "not found"', () => {
    const methods = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'HEAD', '');
    const paths = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc
        .array(fc.oneof(fc.constantFrom('name', 'addr', 'publickey', 'owner', '%', '%41', ''), fc.string({ maxLength: 40 })), { maxLength: 5 })
        .map((s) => '/' + s.join('/')),
    );
    fc.assert(
      fc.property(methods, paths, (method, path) => {
        const r = decodeRoute(method, path, '');
        if (r !== undefined && !r.ok && method === 'POST') assert.notEqual(r.error, 'not found');
      }),
      RUNS,
    );
  });
});

describe('record and export codecs', () => {
  const record = {
    name: 'alice',
    addr: '3133a4cb6724463566115d8087b9ec9c2b9461d6',
    owner: '477d7a39fbfb90016b403e9a344b96fb6ccb1383',
    publickey: 'AAAA',
    signature: 'BBBB',
    registeredAt: 5,
  };

  it('round-trips a record and refuses wrong shapes', () => {
    assert.deepEqual(decodeStoredRecord(encodeRecord(record)), { ok: true, value: record });
    assert.equal(decodeRecord({ ...record, registeredAt: -1 }).ok, false);
    assert.equal(decodeRecord({ ...record, name: 'A B' }).ok, false);
    assert.equal(decodeRecord({ ...record, publickey: '' }).ok, false);
    assert.equal(decodeRecord({ ...record, publickey: 'A'.repeat(9000) }).ok, false);
    assert.equal(decodeStoredRecord('{').ok, false);
  });

  it('never throws on random or mutated stored values and exports', () => {
    const stored = Buffer.from(encodeRecord(record));
    fc.assert(
      fc.property(mutated(stored), (m) => void decodeStoredRecord(m.toString('utf8'))),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => void decodeStoredRecord(s)),
      RUNS,
    );
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3 }), (v) => void decodeExport(v)),
      RUNS,
    );
    const file = Buffer.from(JSON.stringify({ format: 'lanbox-nameserver', version: 1, exportedAt: 1, names: [record, record] }));
    fc.assert(
      fc.property(mutated(file), (m) => void decodeExport(m.toString('utf8'))),
      RUNS,
    );
  });

  it('counts malformed export entries instead of failing the whole file', () => {
    const r = decodeExport({ format: 'lanbox-nameserver', version: 1, exportedAt: 1, names: [record, { name: 'x' }, 3] });
    assert.ok(r.ok);
    assert.equal(r.value.records.length, 1);
    assert.equal(r.value.malformed, 2);
    assert.equal(decodeExport({ format: 'lanbox-nameserver', version: 2, names: [] }).ok, false);
  });

  it('lookup-answer check never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 2 }), fc.string({ maxLength: 10 }), (v, n) => void checkLookupAnswer(n, v)),
      RUNS,
    );
  });
});

/**
 * Fuzzing (fast-check, fixed seeds, bounded runs): the codecs never throw and round-trip; a live
 * proxy fed random request lines, headers and bodies never crashes, never hangs, answers a
 * normal request afterwards and holds nothing once the connections are gone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import { makeValue } from '@lanbox/dht';
import { keyFromParam, parseJson, parseSubscribeBody, parseWebPushTopic, valueFromJson, valueLine, writeJson } from '@lanbox/proxy';
import { eventually, http, raw, startBox } from './helpers.js';

const valueArb = fc.record({
  id: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  type: fc.integer({ min: 0, max: 0xffff }),
  data: fc.uint8Array({ maxLength: 300 }),
  userType: fc.option(fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }), { nil: undefined }),
  priority: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  pushType: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
  cypher: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
});

test('value JSON round-trips exactly: 64-bit ids, bytes, user types with any characters', () => {
  fc.assert(
    fc.property(valueArb, (v) => {
      const value = makeValue({
        id: v.id,
        ...(v.cypher ? { cypher: v.cypher } : { body: { type: v.type, data: v.data, ...(v.userType ? { userType: v.userType } : {}) } }),
        ...(v.priority ? { priority: v.priority } : {}),
        ...(v.pushType ? { pushType: v.pushType } : {}),
      });
      const line = valueLine(value);
      assert.match(line, /^[\x20-\x7e]*\n$/, 'ASCII only, one line');
      const back = parseJson(line);
      assert.ok(back.ok);
      const parsed = valueFromJson(back.value);
      assert.ok(parsed.ok);
      assert.deepEqual(makeValue(parsed.value.value).packed, value.packed);
    }),
    { seed: 0x1b9, numRuns: 500 },
  );
});

test('decoders never throw on arbitrary input', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 400, unit: 'binary' }),
    fc.json(),
    fc.jsonValue().map((j) => JSON.stringify(j)),
  );
  fc.assert(
    fc.property(text, (s) => {
      const j = parseJson(s);
      if (j.ok) valueFromJson(j.value);
      parseSubscribeBody(s);
      parseWebPushTopic(s);
      assert.equal(keyFromParam(s).length, 20);
    }),
    { seed: 0x2b9, numRuns: fuzzRuns(2000) },
  );
  // Deep nesting and huge numbers.
  assert.equal(parseJson('['.repeat(100_000)).ok, false);
  const big = parseJson('{"id":123456789012345678901234567890,"data":"AA==","type":0}');
  assert.ok(big.ok);
  const p = valueFromJson(big.value);
  assert.ok(p.ok);
  assert.equal(p.value.value.id, 0n, 'an id beyond 64 bits reads as unset, like stoull failing');
  assert.equal(writeJson({ b: 1, a: 'é\u0000' }), '{"a":"\\u00e9\\u0000","b":1}');
});

const METHODS = ['GET', 'POST', 'SUBSCRIBE', 'UNSUBSCRIBE', 'OPTIONS', 'PUT', 'LISTEN', 'STATS', 'HEAD', 'DELETE', 'G\u00c9T', ''];
const PATHS = [
  '/',
  '/node/info',
  '/node/stats',
  '/node/pingPush',
  '/key/',
  '/key/x/listen',
  '/key/00112233445566778899aabbccddeeff00112233',
  '//',
  '/%00',
  '/key/a/b/c',
];

const token = fc.string({ minLength: 1, maxLength: 20 }).map((x) => x.replace(/[^A-Za-z0-9-]/g, 'x'));
const safe = fc.string({ maxLength: 60 }).map((x) => x.replace(/[^\x20-\x7e]/g, ' '));
const requestArb = fc.record({
  method: fc.oneof({ arbitrary: fc.constantFrom(...METHODS), weight: 5 }, { arbitrary: fc.string({ maxLength: 12, unit: 'binary' }), weight: 1 }),
  path: fc.oneof(
    { arbitrary: fc.constantFrom(...PATHS), weight: 4 },
    { arbitrary: fc.string({ maxLength: 200, unit: 'binary' }).map((x) => `/${x}`), weight: 1 },
  ),
  version: fc.oneof({ arbitrary: fc.constant('HTTP/1.1'), weight: 6 }, { arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/9.9', ''), weight: 1 }),
  headers: fc.array(
    fc.oneof(
      { arbitrary: fc.tuple(fc.constantFrom('Content-Type', 'Accept', 'User-Agent', 'X-Forwarded-For', 'Expect'), safe), weight: 4 },
      { arbitrary: fc.tuple(token, safe), weight: 2 },
      { arbitrary: fc.tuple(fc.string({ maxLength: 30, unit: 'binary' }), fc.string({ maxLength: 60, unit: 'binary' })), weight: 1 },
    ),
    { maxLength: 6 },
  ),
  length: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.oneof(fc.nat(300_000), fc.string({ maxLength: 10 })), weight: 1 }),
  body: fc.oneof(
    fc.string({ maxLength: 500, unit: 'binary' }),
    fc.json(),
    fc.constant('{"key":"http://127.0.0.1:1/up?up=1","platform":"unifiedpush","client_id":"c"}'),
    fc.constant('{"id":"18446744073709551615","data":"AA==","type":0,"permanent":true}'),
  ),
  chunked: fc.boolean(),
});

test('a live proxy survives random request lines, headers and bodies and holds nothing afterwards', async () => {
  const box = await startBox({ headersTimeoutMs: 2000, requestTimeoutMs: 4000, maxBodyBytes: 4096 });
  try {
    const samples = fc.sample(requestArb, { seed: 0x3b9, numRuns: 150 });
    const started = Date.now();
    const statuses = new Map<string, number>();
    for (const r of samples) {
      const head = [`${r.method} ${r.path} ${r.version}`, 'Host: 127.0.0.1', ...r.headers.map(([k, v]) => `${k}: ${v}`)];
      if (r.chunked) head.push('Transfer-Encoding: chunked');
      else head.push(`Content-Length: ${r.length ?? Buffer.byteLength(r.body, 'latin1')}`);
      head.push('Connection: close');
      const body = r.chunked ? `${Buffer.byteLength(r.body, 'latin1').toString(16)}\r\n${r.body}\r\n0\r\n\r\n` : r.body;
      // Whatever happens, the exchange ends within the request timeout (or our 6 s cap for listens).
      const out = await raw(box.port, Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'latin1'), 6000);
      assert.ok(out.closedByServer || /^HTTP\/1\.1 200/.test(out.text), `hung: ${JSON.stringify(r).slice(0, 300)}`);
      const status = /^HTTP\/1\.1 (\d+)/.exec(out.text)?.[1] ?? 'none';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    assert.ok(Date.now() - started < 600_000);
    // The inputs reach the routes, not only the parser.
    for (const s of ['200', '400', '501']) assert.ok((statuses.get(s) ?? 0) > 0, `no ${s} among ${JSON.stringify([...statuses])}`);
    const info = await http(box.port, 'GET', '/node/info');
    assert.equal(info.status, 200);
    await eventually(() => (box.proxy.status().connections === 0 && box.proxy.status().listens === 0 ? true : undefined), 10_000, 'all freed');
    assert.equal(box.proxy.status().keysWatched, 0);
    assert.equal(box.proxy.status().internalErrors, 0);
  } finally {
    await box.stop();
  }
});

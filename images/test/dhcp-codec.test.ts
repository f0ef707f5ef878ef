/**
 * The DHCP probe's codec: the DISCOVER we send is a well-formed BOOTREQUEST, replies decode, and
 * any bytes (fuzzed) decode to a result or an error, never an exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DHCP_OFFER, MAX_DHCP_MESSAGE, decodeReply, encodeDiscover } from '../src/dhcp-codec.js';

const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

function offer(xid: number, opts: number[]): Uint8Array {
  const b = encodeDiscover(xid, MAC);
  b[0] = 2;
  b.set([10, 0, 2, 15], 16);
  b.fill(0, 240);
  b.set([...opts, 255], 240);
  return b;
}

test('DISCOVER: BOOTREQUEST, Ethernet, broadcast flag, our MAC, cookie, message type 1', () => {
  const d = encodeDiscover(0xdeadbeef, MAC);
  assert.equal(d.length, 300);
  assert.deepEqual([d[0], d[1], d[2]], [1, 1, 6]);
  assert.deepEqual([...d.subarray(4, 8)], [0xde, 0xad, 0xbe, 0xef]);
  assert.deepEqual([d[10], d[11]], [0x80, 0]);
  assert.deepEqual([...d.subarray(28, 34)], [...MAC]);
  assert.deepEqual([...d.subarray(236, 240)], [0x63, 0x82, 0x53, 0x63]);
  assert.deepEqual([...d.subarray(240, 243)], [53, 1, 1]);
  // Our own DISCOVER is a request, not a reply.
  assert.equal(decodeReply(d).ok, false);
});

test('an OFFER decodes to xid, type, server id and offered address; pads are skipped', () => {
  const r = decodeReply(offer(7, [0, 0, 53, 1, DHCP_OFFER, 54, 4, 10, 0, 2, 2, 1, 4, 255, 255, 255, 0]));
  assert.deepEqual(r, { ok: true, value: { xid: 7, messageType: DHCP_OFFER, serverId: '10.0.2.2', yiaddr: '10.0.2.15' } });
});

test('malformed replies are errors: short, long, no cookie, option past the end', () => {
  assert.equal(decodeReply(new Uint8Array(100)).ok, false);
  assert.equal(decodeReply(new Uint8Array(MAX_DHCP_MESSAGE + 1)).ok, false);
  const noCookie = offer(1, [53, 1, 2]);
  noCookie[236] = 0;
  assert.equal(decodeReply(noCookie).ok, false);
  const b = offer(1, []);
  b.fill(0, 240);
  b.set([54, 200], b.length - 2);
  assert.deepEqual(decodeReply(b), { ok: false, error: 'option 54 runs past the end' });
});

test('fuzz: random bytes and mutated offers never throw (fixed seed)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
      const r = decodeReply(bytes);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 3000, seed: 10 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(299), fc.nat(255)), { maxLength: 20 }), (edits) => {
      const b = offer(9, [53, 1, 2, 54, 4, 10, 0, 0, 1]);
      for (const [i, v] of edits) b[i] = v;
      const r = decodeReply(b);
      if (r.ok) assert.ok(r.value.serverId === null || /^\d+\.\d+\.\d+\.\d+$/.test(r.value.serverId));
    }),
    { numRuns: 3000, seed: 11 },
  );
});

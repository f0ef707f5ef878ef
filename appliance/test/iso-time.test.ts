/** isoUtc prints what Date#toISOString prints, for every instant a box can meet. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoUtc } from '../src/iso-time.js';

test('isoUtc equals Date#toISOString from 1970 to 9999, to the millisecond', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
      assert.equal(isoUtc(ms), new Date(ms).toISOString());
    }),
    { numRuns: 20_000 },
  );
  for (const ms of [0, 999, 1000, 951_782_400_000 /* 2000-02-29 */, 1_798_761_599_999 /* 2026-12-31T23:59:59.999 */])
    assert.equal(isoUtc(ms), new Date(ms).toISOString());
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stdSerializers } from 'pino';
import { serializeError } from '../src/log-errors.js';

/** An error class as the minified bundle has it: a short constructor name, its own `name` set. */
class Ub extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreLockedError';
  }
}

test('the logged type of an error that names itself is its own name, not its (minified) class name', () => {
  const out = serializeError(new Ub('in use')) as { type: string; message: string; stack: string };
  assert.equal(out.type, 'StoreLockedError');
  assert.equal(out.message, 'in use');
  assert.match(out.stack, /^StoreLockedError: in use/);
});

test("an error without a name of its own keeps pino's type (its constructor's name)", () => {
  assert.equal((serializeError(new TypeError('bad')) as { type: string }).type, 'TypeError');
  class LibraryError extends Error {}
  assert.equal((serializeError(new LibraryError('x')) as { type: string }).type, 'LibraryError');
});

test('what is not an error is passed through as pino passes it', () => {
  assert.equal(serializeError('text'), 'text');
  const plain = { message: 'not an Error', name: 'Mine' };
  assert.deepEqual(serializeError(plain), stdSerializers.err(plain as Error));
});

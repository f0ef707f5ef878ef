/**
 * The README's first ```ts example, run as written against a coturn this test starts on a free
 * loopback port; its types are checked with the package's by `npm run typecheck`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractReadmeExample, type ReadmeExample } from '@lanbox/readme-example';
import { STEPS } from '../../src/index.js';
import { startCoturn, type Coturn } from '../helpers/coturn.js';

let example: ReadmeExample;
let coturn: Coturn | undefined;

before(async () => {
  coturn = await startCoturn();
  example = await extractReadmeExample(fileURLToPath(new URL('../..', import.meta.url)));
});

after(async () => {
  await coturn?.stop();
  await example?.remove();
});

test('README example runs: every step of the check passes against coturn', async () => {
  assert.ok(coturn);
  const env = { ...process.env, TURN_SERVER: `turn://ring:ring@127.0.0.1:${coturn.port}`, TURN_PEER_ADDRESS: '127.0.0.1' };
  const { stdout } = await example.run({ env });
  const [url, state, error, ...steps] = stdout.trimEnd().split(' ');
  assert.deepEqual([url, state, error], [`turn://ring@127.0.0.1:${coturn.port}`, 'ok', ''], stdout);
  assert.deepEqual(steps.sort(), [...STEPS].sort());
});

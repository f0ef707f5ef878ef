/**
 * The README's first ```ts example, run as written (loopback, free ports); its types are
 * checked with the package's by `npm run typecheck`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractReadmeExample, type ReadmeExample } from '@lanbox/readme-example';

let example: ReadmeExample;

before(async () => {
  example = await extractReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
});

after(() => example?.remove());

test('README example runs: node info, a put with a 64-bit id, the get returns it', async () => {
  const { stdout } = await example.run();
  assert.match(stdout, /^node [0-9a-f]{40} good 1$/m);
  assert.match(stdout, /^POST 200 \{"data":"aGVsbG8=","id":"18446744073709551615","type":0\}$/m);
  assert.match(stdout, /^GET \{"data":"aGVsbG8=","id":"18446744073709551615","type":0\}$/m);
  assert.match(stdout, /^1 put\(s\) reached the DHT$/m);
});

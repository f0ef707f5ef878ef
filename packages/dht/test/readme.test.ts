/**
 * The README's first ```ts example, run as written (loopback, free ports, temp dirs); its types are
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

test('README example runs and shows the value stored through the box', async () => {
  const { stdout } = await example.run();
  assert.match(stdout, /^box [0-9a-f]{40} phone [0-9a-f]{40}$/m);
  assert.match(stdout, /^new \[ 'world' \]$/m);
  assert.match(stdout, /^put acknowledged by 1 node\(s\)$/m);
  assert.match(stdout, /^get \[ 'world' \]$/m);
  assert.match(stdout, /keys: 1,\s+values: 1,/);
});

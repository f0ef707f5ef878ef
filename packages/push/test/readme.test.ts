/**
 * The README's first ```ts example, run as written (loopback, free port); its types are
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

test('README example runs: the stream opens, then carries the published message', async () => {
  const { stdout } = await example.run();
  assert.match(stdout, /^publish 200$/m);
  assert.match(stdout, /^open upAAAAAAAAAAAA,upBBBBBBBBBBBB $/m);
  assert.match(stdout, /^message upAAAAAAAAAAAA \{"key":"4ddbcd59","to":"acct"\}$/m);
});

/**
 * The README's first ```ts example, run as written; its types are checked with the package's by
 * `npm run typecheck`.
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

test('README example runs and prints what the README says', async () => {
  const { stdout } = await example.run();
  assert.equal(stdout, 'real time moves: true\na at 100, c at 200 | still pending: 1\na at 100, c at 200, b at 300 | still pending: 0\n');
});

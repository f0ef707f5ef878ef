/**
 * The README's first ```ts example, run as written (two boxes on loopback); its types are
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

test('README example runs: the name registered on box a is served by box b, and refused there to another key', async () => {
  const { stdout } = await example.run({ timeoutMs: 60_000 });
  assert.match(stdout, /^a knows \[ 'bbbb (unknown|up)' \]$/m, 'a has heard of b; its state is known after its own first exchange');
  assert.match(stdout, /^POST alice on a: 200$/m);
  assert.match(stdout, /^alice on b: true \{ name: 'alice' \}$/m);
  assert.match(stdout, /^POST alice on b with another key: 409$/m);
});

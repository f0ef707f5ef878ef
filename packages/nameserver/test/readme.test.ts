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

test('README example runs: registers a name and looks it up both ways', async () => {
  // Without NS_TOKEN: the example passes it as `adminToken`, which has a minimum length.
  const { stdout } = await example.run({ env: { ...process.env, NS_TOKEN: undefined } });
  assert.match(stdout, /^POST \/name\/alice 200 \{ success: true \}$/m);
  const addr = /^GET \/name\/alice 0x([0-9a-f]{40})$/m.exec(stdout)?.[1];
  assert.ok(addr, stdout);
  assert.match(stdout, new RegExp(`^GET /addr/${addr} \\{ name: 'alice' \\}$`, 'm'));
  assert.match(stdout, /^1 name\(s\)$/m);
});

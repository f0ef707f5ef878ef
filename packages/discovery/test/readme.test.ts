/**
 * The README's first ```ts example, run as written on the in-memory LAN; its types are checked with
 * the package's by `npm run typecheck`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractReadmeExample, type ReadmeExample } from '@lanbox/readme-example';

let example: ReadmeExample;

before(async () => {
  example = await extractReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
  // Running the example must send nothing on the host's interfaces: it has to use the memory LAN.
  assert.match(example.source, /transport: lan\.transport\(/, 'the README example uses createMemoryLan(), not real sockets');
  assert.match(example.source, /interfaces: \(\) =>/, 'the README example injects its interface table');
});

after(() => example?.remove());

test("README example runs: each host hears the other one's DHT node", async () => {
  const { stdout } = await example.run();
  assert.match(stdout, /^box heard DHT node 4 10\.0\.0\.2 4222$/m);
  assert.match(stdout, /^phone heard DHT node 4 10\.0\.0\.1 4222$/m);
  assert.match(stdout, /^ok \[ '10\.0\.0\.2:4222' \] [1-9]\d*$/m);
});

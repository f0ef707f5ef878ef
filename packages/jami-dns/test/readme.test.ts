/**
 * The README's first ```ts example, run as written (in memory, nothing sent); its types are
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

test('README example runs and shows the subnet-dependent answers', async () => {
  const { stdout } = await example.run();
  assert.match(stdout, /^10\.0\.0\.23 bootstrap\.jami\.net NOERROR \[ '10\.0\.0\.1' \]$/m);
  assert.match(stdout, /^192\.168\.5\.7 bootstrap\.jami\.net NOERROR \[ '192\.168\.5\.1' \]$/m);
  assert.match(stdout, /^10\.0\.0\.23 config\.jami\.net NXDOMAIN \[\]$/m);
  assert.match(stdout, /^10\.0\.0\.23 example\.org REFUSED \[\]$/m);
  assert.match(stdout, /policy: 'box', queries: 2, devicesLastHour: 2/);
});

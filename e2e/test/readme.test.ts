/**
 * The README's example is the harness's smoke test, run as written (one jamid device registering
 * on the DHT with the box as its only bootstrap); afterwards every namespace, bridge and process it
 * reported must be gone. Its types are checked with the harness's by `npm run typecheck`. Needs
 * root and Debian's jami-daemon.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractReadmeExample, type ReadmeExample } from '@lanbox/readme-example';

const exec = promisify(execFile);
let example: ReadmeExample;

before(async () => {
  example = await extractReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
});

after(() => example?.remove());

test('README example registers one device on the box and its teardown removes everything it made', async (t) => {
  // The example bounds its own waits (about 3 minutes at most); this outer bound only catches a hang.
  const { stdout, stderr } = await example.run({ timeoutMs: 300_000 });
  t.diagnostic(
    `steps:\n${stderr
      .split('\n')
      .filter((l) => /^\s+\d+\.\d+s/.test(l))
      .join('\n')}`,
  );
  const reg = /^registered ([0-9a-f]{40}) on (\S+) (.+)$/m.exec(stdout);
  assert.ok(reg, `the example printed its registration (stdout: ${stdout})`);
  const [, , bridge, nsList] = reg;
  const namespaces = nsList!.split(' ');
  assert.equal(namespaces.length, 2);
  const pids = /^pids (.+)$/m.exec(stdout)?.[1]?.split(' ').map(Number) ?? [];
  assert.equal(pids.length, 4);
  const { stdout: netns } = await exec('ip', ['netns', 'list']);
  for (const ns of namespaces) assert.ok(!netns.includes(ns), `namespace ${ns} removed`);
  const { stdout: links } = await exec('ip', ['-o', 'link', 'show']);
  assert.ok(!links.includes(bridge!), `bridge ${bridge} removed`);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} is gone`);
});

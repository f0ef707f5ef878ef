/**
 * The README's first ```ts example, type-checked and run as written (loopback, free ports, temp
 * dirs), so the documentation cannot drift from the API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Written inside the package so `@lanbox/dht` resolves to this package's sources (self-reference
// with the `lanbox-source` condition). Gitignored; removed in after().
const exampleFile = fileURLToPath(new URL(`.readme-example-${process.pid}.mts`, import.meta.url));

before(async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme);
  assert.ok(block?.[1], 'README.md has a ```ts block');
  await writeFile(exampleFile, block[1]);
});

after(() => rm(exampleFile, { force: true }));

test('README example type-checks against the package API', () => {
  const config = ts.getParsedCommandLineOfConfigFile(`${packageDir}/tsconfig.json`, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  assert.ok(config);
  const program = ts.createProgram([exampleFile], config.options);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(errors, []);
});

test('README example runs and shows the value stored through the box', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=lanbox-source', '--import', 'tsx', exampleFile],
    { cwd: packageDir, timeout: 30_000, killSignal: 'SIGKILL' },
  );
  assert.match(stdout, /^box [0-9a-f]{40} phone [0-9a-f]{40}$/m);
  assert.match(stdout, /^new \[ 'world' \]$/m);
  assert.match(stdout, /^put acknowledged by 1 node\(s\)$/m);
  assert.match(stdout, /^get \[ 'world' \]$/m);
  assert.match(stdout, /keys: 1, values: 1/);
});

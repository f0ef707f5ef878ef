/**
 * The README's first ```ts example, type-checked and run as written on the in-memory LAN, so the
 * documentation cannot drift from the API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Written inside the package so `@lanbox/discovery` resolves to this package's sources (self-reference
// with the `lanbox-source` condition). Gitignored; removed in after().
const exampleFile = fileURLToPath(new URL(`.readme-example-${process.pid}.mts`, import.meta.url));

before(async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme);
  assert.ok(block?.[1], 'README.md has a ```ts block');
  // Running the example must send nothing on the host's interfaces: it has to use the memory LAN.
  assert.match(block[1], /transport: lan\.transport\(/, 'the README example uses createMemoryLan(), not real sockets');
  assert.match(block[1], /interfaces: \(\) =>/, 'the README example injects its interface table');
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

test('README example runs: each host hears the other one\'s DHT node', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=lanbox-source', '--import', 'tsx', exampleFile],
    { cwd: packageDir, timeout: 30_000, killSignal: 'SIGKILL' },
  );
  assert.match(stdout, /^box heard DHT node 4 10\.0\.0\.2 4222$/m);
  assert.match(stdout, /^phone heard DHT node 4 10\.0\.0\.1 4222$/m);
  assert.match(stdout, /^ok \[ '10\.0\.0\.2:4222' \] [1-9]\d*$/m);
});

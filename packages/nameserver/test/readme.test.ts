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
// Written inside the package so `@lanbox/nameserver` resolves to this package's sources (self-reference
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

test('README example runs: registers a name and looks it up both ways', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=lanbox-source', '--import', 'tsx', exampleFile],
    // Without NS_TOKEN: the example passes it as `adminToken`, which has a minimum length.
    { cwd: packageDir, timeout: 30_000, killSignal: 'SIGKILL', env: { ...process.env, NS_TOKEN: undefined } },
  );
  assert.match(stdout, /^POST \/name\/alice 200 \{ success: true \}$/m);
  const addr = /^GET \/name\/alice 0x([0-9a-f]{40})$/m.exec(stdout)?.[1];
  assert.ok(addr, stdout);
  assert.match(stdout, new RegExp(`^GET /addr/${addr} \\{ name: 'alice' \\}$`, 'm'));
  assert.match(stdout, /^1 name\(s\)$/m);
});

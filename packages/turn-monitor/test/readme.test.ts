/**
 * The README's first ```ts example, type-checked and run as written against a coturn this test
 * starts on a free loopback port, so the documentation cannot drift from the API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { STEPS } from '../src/index.js';
import { startCoturn, type Coturn } from './helpers/coturn.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Written inside the package so `@lanbox/turn-monitor` resolves to this package's sources (self-reference
// with the `lanbox-source` condition). Gitignored; removed in after().
const exampleFile = fileURLToPath(new URL(`.readme-example-${process.pid}.mts`, import.meta.url));

let coturn: Coturn | undefined;

before(async () => {
  coturn = await startCoturn();
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme);
  assert.ok(block?.[1], 'README.md has a ```ts block');
  await writeFile(exampleFile, block[1]);
});

after(async () => {
  await coturn?.stop();
  await rm(exampleFile, { force: true });
});

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

test('README example runs: every step of the check passes against coturn', async () => {
  assert.ok(coturn);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=lanbox-source', '--import', 'tsx', exampleFile],
    {
      cwd: packageDir,
      timeout: 30_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, TURN_SERVER: `turn://ring:ring@127.0.0.1:${coturn.port}`, TURN_PEER_ADDRESS: '127.0.0.1' },
    },
  );
  const [url, state, error, ...steps] = stdout.trimEnd().split(' ');
  assert.deepEqual([url, state, error], [`turn://ring@127.0.0.1:${coturn.port}`, 'ok', ''], stdout);
  assert.deepEqual(steps.sort(), [...STEPS].sort());
});

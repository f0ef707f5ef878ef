/**
 * The README's shell examples stay true: every `lanbox` command line in them is accepted by the
 * configuration parser. They are not run here (they bind the real ports and join multicast);
 * interop/bundle.test.ts runs `--help` and `--selftest` from the bundle.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const shellBlocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');

/** Arguments after the program in each line that runs the bundle or main.ts (comments dropped). */
function lanboxCommandLines(): string[][] {
  const lines: string[][] = [];
  for (const block of shellBlocks) {
    for (const line of block.split('\n')) {
      const m = /(?:lanbox\.mjs|src\/main\.ts)((?:\s+[^\s#]+)*)/.exec(line);
      if (m)
        lines.push(
          (m[1] ?? '')
            .trim()
            .split(/\s+/)
            .filter((a) => a !== ''),
        );
    }
  }
  return lines;
}

test('every lanbox command line in the README is accepted by the configuration parser', () => {
  const commands = lanboxCommandLines();
  // --help, --selftest, a full command line, and the run from sources.
  assert.ok(commands.length >= 4, JSON.stringify(commands));
  for (const argv of commands) {
    const result = loadConfig(argv);
    assert.notEqual(result.kind, 'invalid', `${argv.join(' ')}: ${JSON.stringify(result)}`);
  }
  assert.ok(commands.some((a) => a.includes('--data-dir') && a.includes('--web-port')));
});

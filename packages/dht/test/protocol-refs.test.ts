/** Every `§N` cited in src/ names a section of PROTOCOL.md, so a reader can always look it up. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('every § reference in src/ resolves to a numbered section of PROTOCOL.md', () => {
  const headings = new Set([...readFileSync(join(root, 'PROTOCOL.md'), 'utf8').matchAll(/^#{2,3} (\d+(?:\.\d+)*)\.? /gm)].map((m) => m[1]));
  const cited = new Map<string, string>();
  for (const file of sources(join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/§\s*(\d+(?:\.\d+)*)/g)) cited.set(m[1]!, file.slice(root.length));
  }
  assert.ok(cited.size > 20, `found only ${cited.size} references`);
  const missing = [...cited].filter(([n]) => !headings.has(n)).map(([n, file]) => `§${n} (${file})`);
  assert.deepEqual(missing, []);
});

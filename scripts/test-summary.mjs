// Adds up the node:test results every workspace wrote to its .test-results.tap and prints the
// plain closing line CI reads ("N passed, N failed"). Exit status: non-zero if any test failed,
// if a workspace wrote no results, or if turbo itself failed (its status is passed as argv[2]).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const workspaces = [];
for (const pattern of rootPackage.workspaces) {
  if (pattern.endsWith('/*')) {
    const dir = join(root, pattern.slice(0, -2));
    for (const name of readdirSync(dir)) workspaces.push(join(dir, name));
  } else {
    workspaces.push(join(root, pattern));
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const ws of workspaces) {
  const manifest = join(ws, 'package.json');
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue;
  const tap = join(ws, '.test-results.tap');
  if (!existsSync(tap)) {
    missing.push(ws.slice(root.length));
    continue;
  }
  const text = readFileSync(tap, 'utf8');
  const count = (key) =>
    [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  skipped += count('skipped') + count('todo');
}
for (const ws of missing) console.log(`no test results from ${ws}`);
const turboStatus = Number(process.argv[2] ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || missing.length > 0 || turboStatus !== 0 ? 1 : 0);

// Adds up the node:test results every workspace wrote to its .test-results.tap and prints the
// plain closing line CI reads ("N passed, N failed"). Exit status: non-zero if any test failed,
// if any test was skipped or marked todo (a test that did not run proves nothing, and a
// `{ skip: !hasDhtnode }` would otherwise keep CI green on a machine without the peer), if a
// workspace wrote no results, or if turbo itself failed (its status is passed as argv[2]).
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
const notRun = [];
for (const ws of workspaces) {
  const manifest = join(ws, 'package.json');
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue;
  const tap = join(ws, '.test-results.tap');
  if (!existsSync(tap)) {
    missing.push(ws.slice(root.length));
    continue;
  }
  const text = readFileSync(tap, 'utf8');
  const count = (key) => [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  skipped += count('skipped') + count('todo');
  for (const m of text.matchAll(/^\s*(?:not )?ok \d+ - (.*?) # (SKIP|TODO)\b.*$/gm)) notRun.push(`${ws.slice(root.length)}: ${m[2]} ${m[1]}`);
}
for (const ws of missing) console.log(`no test results from ${ws}`);
for (const line of notRun) console.log(`not run: ${line}`);
const turboStatus = Number(process.argv[2] ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (skipped > 0) console.log('skipped and todo tests fail the run: make them run or remove them');
process.exit(failed > 0 || skipped > 0 || missing.length > 0 || turboStatus !== 0 ? 1 : 0);

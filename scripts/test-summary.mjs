// Adds up the node:test results every workspace wrote to its .test-results.tap and prints the
// plain closing line CI reads ("N passed, N failed"). Exit status: non-zero if any test failed,
// if any test was skipped or marked todo (a test that did not run proves nothing, and a
// `{ skip: !hasDhtnode }` would otherwise keep CI green on a machine without the peer), if a
// workspace wrote no results, or if turbo itself failed (its status is passed as argv[2]).
// Each failed test is listed again just above that line, with its location and the first lines of
// its error: CI keeps only the tail of the output, and a failure buried in the middle of turbo's
// stream would otherwise leave nothing to go on.
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

const FAILURE_LINES = 8;

/** The failed leaf tests of one TAP file (suites that failed only through a subtest are left out). */
function failuresIn(text) {
  const lines = text.split('\n');
  const open = []; // enclosing subtests: { indent, name }
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const subtest = /^( *)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const indent = subtest[1].length;
      while (open.length > 0 && open[open.length - 1].indent >= indent) open.pop();
      open.push({ indent, name: subtest[2] });
      continue;
    }
    const result = /^( *)not ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (!result) continue;
    const indent = result[1].length;
    const path = [...open.filter((e) => e.indent < indent).map((e) => e.name), result[2]];
    while (open.length > 0 && open[open.length - 1].indent >= indent) open.pop();
    const fields = {};
    const error = [];
    const field = new RegExp(`^ {${indent + 2}}(\\w+): ?(.*)$`);
    for (let j = i + 1; j < lines.length && lines[j] !== `${' '.repeat(indent + 2)}...`; j++) {
      const f = field.exec(lines[j]);
      if (!f) continue;
      fields[f[1]] = f[2];
      if (f[1] !== 'error') continue;
      if (f[2] !== '|-' && f[2] !== '|') error.push(f[2].replace(/^'(.*)'$/, '$1'));
      else for (let k = j + 1; k < lines.length && lines[k].startsWith(' '.repeat(indent + 4)); k++) error.push(lines[k].trim());
    }
    if (fields.failureType === "'subtestsFailed'") continue;
    found.push({ path, location: (fields.location ?? '').replace(/^'(.*)'$/, '$1'), error: error.filter((l) => l !== '') });
  }
  return found;
}

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const notRun = [];
const failures = [];
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
  for (const f of failuresIn(text)) failures.push({ ...f, workspace: ws.slice(root.length) });
  for (const m of text.matchAll(/^\s*(?:not )?ok \d+ - (.*?) # (SKIP|TODO)\b.*$/gm)) notRun.push(`${ws.slice(root.length)}: ${m[2]} ${m[1]}`);
}
for (const ws of missing) console.log(`no test results from ${ws}`);
for (const line of notRun) console.log(`not run: ${line}`);
for (const f of failures) {
  const where = f.location.startsWith(root) ? f.location.slice(root.length) : f.location;
  console.log(`failed: ${f.workspace}: ${f.path.join(' › ')}${where ? ` (${where})` : ''}`);
  for (const line of f.error.slice(0, FAILURE_LINES)) console.log(`    ${line}`);
}
const turboStatus = Number(process.argv[2] ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (skipped > 0) console.log('skipped and todo tests fail the run: make them run or remove them');
process.exit(failed > 0 || skipped > 0 || missing.length > 0 || turboStatus !== 0 ? 1 : 0);

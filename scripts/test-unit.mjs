// `npm run test:unit`: every workspace's test/*.test.ts (never test/interop/) in ONE node:test run
// that keeps --jobs files going at once across all workspaces, instead of one runner per workspace
// under turbo. On 2 cores the per-workspace runs left a core idle whenever a small workspace
// finished and the appliance (the longest, its tests start the appliance as a process) started
// last; one pool keeps both busy to the end, and saves a runner, npm and a shell per workspace.
// The appliance's files go first for the same reason. A workspace takes part if it has a
// `test:unit` script; `npm run test:unit -w <workspace>` still runs one workspace alone.
// Seeded fuzz tests run their quick budget (LANBOX_FUZZ=quick, see tools/fuzz-budget); `npm test`
// runs them in full.
//
// Usage: node scripts/test-unit.mjs [--jobs N] [node --test flags…]   (default N: 3)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const args = process.argv.slice(2);
let jobs = 3;
const jobsAt = args.indexOf('--jobs');
if (jobsAt >= 0) {
  jobs = Number(args[jobsAt + 1]);
  args.splice(jobsAt, 2);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new Error('--jobs takes an integer from 1 to 16');
}

const workspaces = [];
for (const pattern of rootPackage.workspaces) {
  if (pattern.endsWith('/*')) {
    const dir = join(root, pattern.slice(0, -2));
    for (const name of readdirSync(dir).sort()) workspaces.push(join(dir, name));
  } else {
    workspaces.push(join(root, pattern));
  }
}
const first = (ws) => (ws === join(root, 'appliance') ? 0 : 1);
workspaces.sort((a, b) => first(a) - first(b));

const files = [];
for (const ws of workspaces) {
  const manifest = join(ws, 'package.json');
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.['test:unit']) continue;
  const dir = join(ws, 'test');
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) if (name.endsWith('.test.ts')) files.push(relative(root, join(dir, name)));
}

const child = spawn(process.execPath, ['--conditions=lanbox-source', '--import', 'tsx', '--test', `--test-concurrency=${jobs}`, ...args, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LANBOX_FUZZ: process.env.LANBOX_FUZZ ?? 'quick' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// Runs the real-peer suites (each workspace's `test:interop`) several times in a row with CPU hogs
// beside them, to show they hold on a busy machine. Not part of CI (`.ci/run`); see docs/testing.md.
//
//   npm run test:stress                                   # 5 runs, 2 hogs, every interop suite
//   npm run test:stress -- --runs 3 --hogs 3 --only dht   # fewer runs, more load, one workspace
//
// Every hog is `yes` under `timeout`, so it dies on its own even if this script is killed; each
// suite run is bounded too. Exit status 0 only if every run of every suite passed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const runs = Math.max(1, Math.min(50, Number(option('runs', '5'))));
const hogs = Math.max(0, Math.min(8, Number(option('hogs', '2'))));
const only = option('only', null);
/** Longest one suite run may take before it counts as failed. */
const SUITE_LIMIT_S = Number(option('suite-limit', '1200'));

// Workspaces with a test:interop script, in the root package.json's order (e2e has its own harness).
const workspaces = [];
for (const pattern of JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces) {
  const dirs = pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => join(pattern.slice(0, -2), d)) : [pattern];
  for (const dir of dirs) {
    const manifest = join(root, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    if (!JSON.parse(readFileSync(manifest, 'utf8')).scripts?.['test:interop']) continue;
    if (only !== null && !dir.endsWith(`/${only}`) && dir !== only) continue;
    workspaces.push(dir);
  }
}
if (workspaces.length === 0) {
  console.error(`no workspace with a test:interop script${only ? ` matches --only ${only}` : ''}`);
  process.exit(2);
}

const hogLimitS = runs * workspaces.length * SUITE_LIMIT_S + 60;
const children = new Set();
const hogProcs = Array.from({ length: hogs }, () => spawn('timeout', [String(hogLimitS), 'yes'], { stdio: 'ignore' }));
const stopAll = () => {
  for (const c of [...hogProcs, ...children]) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
};
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** One suite run under `timeout`: its exit status and everything it printed. */
function runSuite(ws) {
  return new Promise((resolve) => {
    const child = spawn('timeout', [String(SUITE_LIMIT_S), 'npm', 'run', '--silent', 'test:interop', '-w', ws], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    const keep = (d) => {
      if (out.length < 32 * 1024 * 1024) out += d;
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    child.on('close', (status) => {
      children.delete(child);
      resolve({ status, out });
    });
  });
}

console.log(`stress: ${runs} run(s) of ${workspaces.join(', ')} with ${hogs} busy loop(s) beside them`);
const results = [];
for (let run = 1; run <= runs; run++) {
  for (const ws of workspaces) {
    const started = Date.now();
    const { status, out } = await runSuite(ws);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    // node:test prints TAP when its output is not a terminal: totals are `# pass N` lines.
    const count = (key) => [...out.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    const passed = count('pass');
    const failed = count('fail') + count('cancelled');
    const ok = status === 0 && failed === 0 && passed > 0;
    results.push({ run, ws, ok, passed, failed, seconds });
    console.log(`run ${run}/${runs} ${ws}: ${ok ? 'ok' : 'FAILED'} (${passed} passed, ${failed} failed, ${seconds} s)`);
    if (!ok) {
      // Each failing test with its error text, as node:test's TAP prints it.
      const lines = out.split('\n');
      lines.forEach((l, i) => {
        if (/^\s*not ok /.test(l))
          for (const x of lines.slice(i, i + 14)) if (x.trim() !== '' && !/^\s*(---|\.\.\.|duration_ms|location|stack)/.test(x)) console.log(`    ${x.trim()}`);
      });
      if (status === 124) console.log(`    stopped after ${SUITE_LIMIT_S} s`);
    }
  }
}
stopAll();
const bad = results.filter((r) => !r.ok);
console.log(`stress: ${results.length - bad.length} of ${results.length} suite runs passed`);
process.exit(bad.length === 0 ? 0 : 1);

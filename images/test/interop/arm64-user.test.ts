/**
 * The arm64 bundle, quickly, without building or booting the arm64 image: Debian 13's arm64 node
 * (extracted from the same packages the image installs, no maintainer scripts) runs under
 * qemu-user. It must report arm64, pass the appliance's --selftest (services start on loopback in
 * a temp dir, the web port answers), and load classic-level's linux-arm64 prebuild to write a
 * database, close it, and read the value back after reopening.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IMAGES = resolve(import.meta.dirname, '../..');
const REPO = resolve(IMAGES, '..');
const CACHE = process.env.LANBOX_IMAGE_CACHE ?? join(IMAGES, '.cache');
const SYSROOT = join(CACHE, 'arm64-node-sysroot');
const QEMU = '/usr/bin/qemu-aarch64-static';

let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lbim-arm64-'));
  await run(process.execPath, [join(REPO, 'appliance/build.mjs'), '--outdir', join(work, 'dist')]);
  if (!existsSync(join(SYSROOT, 'usr/bin/node'))) {
    await mkdir(CACHE, { recursive: true });
    await rm(`${SYSROOT}.partial`, { recursive: true, force: true });
    // "extract": unpack nodejs and its dependencies only; nothing runs, so no binfmt is needed.
    await run(
      'mmdebstrap',
      [
        '--quiet',
        '--variant=extract',
        '--arch=arm64',
        '--include=nodejs',
        '--dpkgopt=path-exclude=/usr/share/doc/*',
        'trixie',
        `${SYSROOT}.partial`,
        process.env.LANBOX_MIRROR ?? 'http://deb.debian.org/debian',
      ],
      { timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    // Nothing ran, so the merged-/usr links (made by base-files' setup) are missing: the arm64
    // loader is looked up as /lib/ld-linux-aarch64.so.1.
    for (const dir of ['lib', 'bin', 'sbin']) {
      if (!existsSync(join(`${SYSROOT}.partial`, dir))) await symlink(`usr/${dir}`, join(`${SYSROOT}.partial`, dir));
    }
    await run('mv', [`${SYSROOT}.partial`, SYSROOT]);
  }
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Debian's arm64 node under qemu-user; -L makes the arm64 loader and libraries come from the sysroot. */
async function arm64Node(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run(QEMU, ['-L', SYSROOT, join(SYSROOT, 'usr/bin/node'), ...args], {
    cwd,
    timeout: 10 * 60_000,
    env: { ...process.env, QEMU_LD_PREFIX: SYSROOT },
  });
  return stdout;
}

test('Debian 13 arm64 node runs under qemu-user and is arm64', async (t) => {
  const out = await arm64Node(['-p', 'process.arch + " " + process.version'], work);
  t.diagnostic(out.trim());
  assert.match(out, /^arm64 v20\./);
});

test('the bundle --selftest passes on arm64 (services start, LevelDB opens, the web port answers)', async () => {
  const out = await arm64Node([join(work, 'dist/lanbox.mjs'), '--selftest'], work);
  const result = JSON.parse(out) as { selftest: string; nodeId: string; states: Record<string, string> };
  assert.equal(result.selftest, 'ok', out);
  assert.match(result.nodeId, /^[0-9a-f]{40}$/);
  assert.equal(result.states.dht, 'ok');
  assert.equal(result.states.nameserver, 'ok');
  for (const [service, state] of Object.entries(result.states)) assert.equal(state, 'ok', service);
});

test("classic-level's linux-arm64 prebuild writes a database that reads back after reopening", async () => {
  const script = join(work, 'dist/level-check.mjs');
  await writeFile(
    script,
    [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "const { ClassicLevel } = require('./node_modules/classic-level');",
      'const dir = process.argv[2];',
      "let db = new ClassicLevel(dir, { valueEncoding: 'utf8' });",
      "await db.put('name/alice', 'registered', { sync: true });",
      'await db.close();',
      "db = new ClassicLevel(dir, { valueEncoding: 'utf8' });",
      "const v = await db.get('name/alice');",
      'await db.close();',
      "const binding = Object.keys(require.cache).find((k) => k.endsWith('.node')) ?? 'none';",
      'console.log(JSON.stringify({ v, binding }));',
    ].join('\n'),
  );
  const out = JSON.parse(await arm64Node([script, join(work, 'db')], join(work, 'dist'))) as { v: string; binding: string };
  assert.equal(out.v, 'registered');
  assert.ok(existsSync(join(work, 'db/CURRENT')), 'a LevelDB directory was written');
  assert.match(out.binding, /linux-arm64/, 'the arm64 prebuild was loaded');
});

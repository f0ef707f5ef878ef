// Bundles the appliance into one ESM file, dist/lanbox.mjs, runnable as `node dist/lanbox.mjs`
// from any directory. Workspace packages are bundled from their TypeScript sources (the
// `lanbox-source` export condition). Native modules cannot be inlined (their loaders look for
// .node files next to their own package.json), so they stay external and are copied with their
// runtime dependencies into dist/node_modules/, keeping only Linux prebuilds.
//
// Usage: node build.mjs [--outdir DIR]   (default: dist beside this file)
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outIndex = process.argv.indexOf('--outdir');
const outdir = resolve(outIndex > 0 ? process.argv[outIndex + 1] : join(here, 'dist'));
const pkg = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));

/** Packages with native code: external, shipped beside the bundle. */
const NATIVE = ['classic-level'];
/** Prebuild folders worth shipping: the Pi (arm64, armv7) and amd64 (CI, x86 boxes). */
const KEEP_PREBUILDS = new Set(['linux-arm64', 'linux-arm', 'linux-x64']);
/** Source trees a runtime never reads (classic-level ships LevelDB's C++ sources). */
const SKIP = new Set(['deps', 'binding.cc', 'binding.gyp', 'test', '.github', 'CHANGELOG.md', 'UPGRADING.md']);

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const started = Date.now();
const result = await build({
  entryPoints: [join(here, 'src/main.ts')],
  outfile: join(outdir, 'lanbox.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['lanbox-source'],
  external: NATIVE,
  // CommonJS dependencies (pino, level) call require(); an ESM bundle has none unless we make one.
  banner: { js: "import { createRequire as __lanboxCreateRequire } from 'node:module';\nconst require = __lanboxCreateRequire(import.meta.url);" },
  define: { LANBOX_VERSION: JSON.stringify(pkg.version) },
  legalComments: 'linked',
  // V8 keeps a module's whole source text for lazy compilation, and the scope data of every
  // compiled function holds its local names: minified, the appliance idles ~1.3 MiB lower (steady
  // reading, every service on, alternating runs; docs/performance-findings.md). No keepNames: esbuild
  // would wrap ~1 000 functions and classes in a helper that redefines their `name`, which gives
  // each its own property array (+0.3 MiB of heap; without it −0.7 MiB steady and −1.8 MiB 5 s
  // after ready, medians of 6 alternating pairs). Error classes set their own `name`, which the logger
  // shows as the error's type (src/log-errors.ts); method names are property names and stay in
  // stack frames, standalone functions show their minified names there.
  minify: true,
  metafile: true,
  logLevel: 'warning',
});

// Copy each native package and, transitively, its runtime dependencies as installed.
const copied = new Set();
async function copyPackage(name, fromDir) {
  if (copied.has(name)) return;
  copied.add(name);
  const req = createRequire(join(fromDir, 'noop.js'));
  const pkgJson = req.resolve(`${name}/package.json`);
  const src = dirname(pkgJson);
  const dest = join(outdir, 'node_modules', name);
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(src)) {
    if (SKIP.has(entry)) continue;
    if (entry === 'prebuilds') {
      for (const platform of await readdir(join(src, entry))) {
        if (KEEP_PREBUILDS.has(platform)) await cp(join(src, entry, platform), join(dest, entry, platform), { recursive: true });
      }
      continue;
    }
    await cp(join(src, entry), join(dest, entry), { recursive: true });
  }
  const deps = Object.keys(JSON.parse(await readFile(pkgJson, 'utf8')).dependencies ?? {});
  for (const dep of deps) await copyPackage(dep, src);
}
for (const name of NATIVE) await copyPackage(name, here);

async function size(path) {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path)) total += await size(join(path, e));
  return total;
}
const bundleBytes = (await stat(join(outdir, 'lanbox.mjs'))).size;
const modulesBytes = await size(join(outdir, 'node_modules'));
console.log(
  `lanbox ${pkg.version}: ${join(outdir, 'lanbox.mjs')} ${(bundleBytes / 1024).toFixed(0)} KiB, ` +
    `node_modules ${(modulesBytes / 1048576).toFixed(1)} MiB (${[...copied].join(', ')}), ` +
    `${Object.keys(result.metafile.inputs).length} inputs, ${Date.now() - started} ms`,
);

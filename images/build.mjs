// Bundles the two boot-time helpers that go into the image beside the appliance:
// dist/box/lanbox-setup.mjs (settings file → this boot's config) and dist/box/lanbox-dhcp.mjs
// (the DHCP server guard). Plain Node, no dependencies: they run on Debian's node.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, 'dist/box');
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(here, 'src/lanbox-setup.ts'), join(here, 'src/lanbox-dhcp.ts')],
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});

/**
 * The `typecheck` script of a package whose README opens with a ```ts example, run in the
 * package's directory: `tsc -p tsconfig.json --noEmit` and the README example, in one program.
 * Prints each problem and exits 1 if there is any.
 */
import { typecheckWithReadme } from './index.js';

const problems = await typecheckWithReadme(process.cwd());
for (const p of problems) console.error(p);
if (problems.length > 0) {
  console.error(`${problems.length} type error(s)`);
  process.exitCode = 1;
}

/**
 * Each package README opens with a runnable ```ts example. Its test extracts that block, checks it
 * against the package's own types and runs it as written, so the documentation cannot drift from
 * the API. Only tests use this; it is never bundled.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

export interface ReadmeExample {
  /** The example's source text. */
  source: string;
  /** TypeScript's diagnostics for the example under the package's tsconfig (empty when it checks). */
  typeErrors(): string[];
  /** Runs the example with the test loader; rejects when it exits non-zero or outlives `timeoutMs`. */
  run(options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
  /** Deletes the extracted file. */
  remove(): Promise<void>;
}

/**
 * Writes the first ```ts block of `<packageDir>/README.md` to a file inside the package, so that
 * the example's `@lanbox/<name>` import resolves to the package's own sources (a self-reference
 * under the `lanbox-source` condition). The file name is gitignored (`.readme-example-*.mts`).
 */
export async function extractReadmeExample(packageDir: string): Promise<ReadmeExample> {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const source = /^```ts\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (source === undefined) throw new Error(`${packageDir}/README.md has no \`\`\`ts block`);
  const file = join(packageDir, 'test', `.readme-example-${process.pid}.mts`);
  await writeFile(file, source);
  return {
    source,
    typeErrors() {
      const problems: string[] = [];
      const config = ts.getParsedCommandLineOfConfigFile(
        join(packageDir, 'tsconfig.json'),
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
        },
      );
      if (!config) return problems.length > 0 ? problems : ['tsconfig.json could not be read'];
      const program = ts.createProgram([file], config.options);
      return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
    run({ env = process.env, timeoutMs = 30_000 } = {}) {
      return promisify(execFile)(process.execPath, ['--conditions=lanbox-source', '--import', 'tsx', file], {
        cwd: packageDir,
        env,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
    },
    remove: () => rm(file, { force: true }),
  };
}

/**
 * Each package README opens with a runnable ```ts example. The package's `typecheck` script
 * checks that block against the package's own types (`typecheckWithReadme`, in the same program
 * as the package), and its README test runs it as written (`extractReadmeExample`), so the
 * documentation cannot drift from the API. Only tests and type checks use this; it is never bundled.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

export interface ReadmeExample {
  /** The example's source text. */
  source: string;
  /** Runs the example with the test loader; rejects when it exits non-zero or outlives `timeoutMs`. */
  run(options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
  /** Deletes the extracted file. */
  remove(): Promise<void>;
}

interface ExtractedExample {
  source: string;
  /** The README line (0-based) of the example's first line. */
  firstLine: number;
  file: string;
}

/**
 * Writes the first ```ts block of `<packageDir>/README.md` to a file inside the package, so that
 * the example's `@lanbox/<name>` import resolves to the package's own sources (a self-reference
 * under the `lanbox-source` condition). The file name is gitignored (`.readme-example-*.mts`).
 */
async function writeExample(packageDir: string, tag: string): Promise<ExtractedExample> {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const match = /^```ts\n([\s\S]*?)^```$/m.exec(readme);
  const source = match?.[1];
  if (match === null || source === undefined) throw new Error(`${packageDir}/README.md has no \`\`\`ts block`);
  const firstLine = readme.slice(0, match.index).split('\n').length;
  const file = join(packageDir, 'test', `.readme-example-${tag}-${process.pid}.mts`);
  await writeFile(file, source);
  return { source, firstLine, file };
}

export async function extractReadmeExample(packageDir: string): Promise<ReadmeExample> {
  const { source, file } = await writeExample(packageDir, 'run');
  return {
    source,
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

/**
 * What `tsc -p tsconfig.json --noEmit` reports for the package, with the README example added to
 * the same program: the example then costs almost nothing, where a program of its own would check
 * the package's sources a second time (3-4 s of CPU per package). Diagnostics in the example are
 * given as README.md lines. An empty list means both type-check.
 */
export async function typecheckWithReadme(packageDir: string): Promise<string[]> {
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
  const example = await writeExample(packageDir, 'typecheck');
  try {
    const program = ts.createProgram({
      rootNames: [...config.fileNames, example.file],
      options: config.options,
      projectReferences: config.projectReferences,
      configFileParsingDiagnostics: config.errors,
    });
    const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
    return diagnostics.map((d) => describe(d, packageDir, example));
  } finally {
    await rm(example.file, { force: true });
  }
}

function describe(d: ts.Diagnostic, packageDir: string, example: ExtractedExample): string {
  const text = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  if (d.file === undefined || d.start === undefined) return text;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const where =
    d.file.fileName === example.file.replaceAll('\\', '/')
      ? `README.md:${example.firstLine + line + 1}:${character + 1} (the example)`
      : `${relative(packageDir, d.file.fileName)}:${line + 1}:${character + 1}`;
  return `${where} ${text}`;
}

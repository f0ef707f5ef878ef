/**
 * Child processes the harness starts: output goes to a log file (kept for the post-mortem) and a
 * bounded in-memory tail; stopping is by the pid we spawned (SIGTERM, then SIGKILL after a grace
 * period), never by name. `ip netns exec` and `env` exec their command, so the pid we hold is the
 * real program's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Teardown } from './teardown.js';

export interface Tracked {
  readonly label: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** The file holding everything the process printed (stdout and stderr). */
  readonly logFile: string;
  /** The last `tailBytes` of its output, for quick checks and failure messages. */
  tail(): string;
  /** The whole log file. */
  log(): Promise<string>;
  /** Exit code or signal name once it exited. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. Safe to call twice. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface TrackOptions {
  label: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Stopped at teardown (registered here). */
  teardown: Teardown;
  /** Size of the in-memory tail. @default 65536 */
  tailBytes?: number;
  /** Grace period before SIGKILL at teardown. @default 5000 */
  graceMs?: number;
}

export function startTracked(command: string, args: string[], options: TrackOptions): Tracked {
  const tailBytes = options.tailBytes ?? 65_536;
  const proc = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`could not start ${options.label} (${command})`);
  const pid = proc.pid;
  const file: WriteStream = createWriteStream(options.logFile);
  let tail = '';
  const onData = (chunk: Buffer): void => {
    file.write(chunk);
    tail += chunk.toString('utf8');
    if (tail.length > tailBytes * 2) tail = tail.slice(-tailBytes);
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  // Both pipes drained before the file is closed, so the log is complete after `exited`.
  const closed = new Promise<void>((resolve) => proc.once('close', () => file.end(resolve)));
  let stopping: Promise<number | string> | undefined;
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const stop = (graceMs = options.graceMs ?? 5000): Promise<number | string> => {
    stopping ??= (async () => {
      if (running()) {
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (running()) process.kill(pid, 'SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      return exited;
    })();
    return stopping;
  };
  options.teardown.add(`stop ${options.label} (pid ${pid})`, () => stop());
  return {
    label: options.label,
    pid,
    proc,
    logFile: options.logFile,
    tail: () => tail.slice(-tailBytes),
    log: () => readFile(options.logFile, 'utf8').catch(() => ''),
    exited,
    running,
    stop,
  };
}

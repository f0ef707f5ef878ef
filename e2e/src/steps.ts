/**
 * Step log: every step of an end-to-end run printed with the time since the run started and how
 * long the step took, so a slow or stuck step is obvious in CI output and the closing note can
 * quote the numbers.
 */
import { performance } from 'node:perf_hooks';

export interface StepRecord {
  label: string;
  /** Milliseconds from the start of the run to the start of the step. */
  startedAtMs: number;
  /** Duration in milliseconds (undefined while running or if it failed). */
  tookMs?: number;
  ok: boolean;
}

export interface Steps {
  /** Runs `fn`, printing `[+12.3s] label ...` before and `... ok (1.2s)` or `... FAILED` after. */
  step<T>(label: string, fn: () => Promise<T> | T): Promise<T>;
  /** Prints one line with the elapsed time (no duration). */
  note(message: string): void;
  /** Milliseconds since the run started. */
  elapsedMs(): number;
  readonly records: readonly StepRecord[];
  /** A table of every step and its duration, one line each. */
  summary(): string;
}

export interface StepsOptions {
  /** Where lines go. @default a write to stderr (node:test keeps stderr visible) */
  print?: (line: string) => void;
  /** @default performance.now */
  now?: () => number;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export function createSteps(options: StepsOptions = {}): Steps {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const records: StepRecord[] = [];
  const stamp = (): string => `[+${seconds(now() - t0).padStart(6)}]`;
  return {
    records,
    elapsedMs: () => now() - t0,
    note(message) {
      print(`${stamp()} ${message}`);
    },
    async step(label, fn) {
      const started = now();
      const record: StepRecord = { label, startedAtMs: started - t0, ok: false };
      records.push(record);
      print(`${stamp()} ${label} ...`);
      try {
        const value = await fn();
        record.tookMs = now() - started;
        record.ok = true;
        print(`${stamp()} ${label} ... ok (${seconds(record.tookMs)})`);
        return value;
      } catch (e) {
        print(`${stamp()} ${label} ... FAILED after ${seconds(now() - started)}: ${(e as Error).message}`);
        throw e;
      }
    },
    summary() {
      return records.map((r) => `${seconds(r.startedAtMs).padStart(7)}  ${r.ok ? seconds(r.tookMs ?? 0).padStart(6) : 'FAILED'}  ${r.label}`).join('\n');
    },
  };
}

/**
 * Teardown: everything the harness creates (processes, namespaces, bridges, temp dirs) registers
 * how to undo it here, and `run()` undoes it in reverse order. Each undo is bounded in time and
 * its failure is collected, not thrown, so one stuck process never leaves namespaces behind.
 */
import { withTimeout } from './wait.js';

export interface Teardown {
  /** Registers an undo action; actions run last-registered first. */
  add(label: string, undo: () => unknown): void;
  /** Runs every action once (later calls do nothing more) and returns the failures as text. */
  run(): Promise<string[]>;
}

export interface TeardownOptions {
  /** Bound on each action. @default 15000 */
  actionTimeoutMs?: number;
  /** Where failures are reported as they happen. @default stderr */
  print?: (line: string) => void;
}

export function createTeardown(options: TeardownOptions = {}): Teardown {
  const actionTimeoutMs = options.actionTimeoutMs ?? 15_000;
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const actions: Array<{ label: string; undo: () => unknown }> = [];
  return {
    add(label, undo) {
      actions.push({ label, undo });
    },
    async run() {
      const failures: string[] = [];
      for (let a = actions.pop(); a !== undefined; a = actions.pop()) {
        try {
          await withTimeout(`teardown: ${a.label}`, Promise.resolve().then(a.undo), actionTimeoutMs);
        } catch (e) {
          const line = `teardown: ${a.label} failed: ${(e as Error).message}`;
          failures.push(line);
          print(line);
        }
      }
      return failures;
    },
  };
}

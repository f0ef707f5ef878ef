/**
 * A real Debian `dhtnode` (OpenDHT 2.4.12) driven through its prompt: commands on stdin, lines
 * on stdout. It ignores SIGTERM, so it is stopped with `x`, then stdin closed, then SIGKILL by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const DHTNODE = '/usr/bin/dhtnode';

export interface Dhtnode {
  readonly pid: number;
  readonly lines: string[];
  send(command: string): void;
  /** The first line from `from` on matching `re`, waiting at most `ms`. */
  waitFor(re: RegExp, ms: number, from?: number): Promise<string>;
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of started)
    if (c.pid !== undefined && c.exitCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
});

export function startDhtnode(args: string[]): Dhtnode {
  const child = spawn(DHTNODE, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  const lines: string[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (lines.length < 50_000) lines.push(l);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => {});
  return {
    pid: child.pid!,
    lines,
    send(command) {
      child.stdin!.write(`${command}\n`);
    },
    async waitFor(re, ms, from = 0) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = lines.slice(from).find((l) => re.test(l));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) throw new Error(`dhtnode: no line matching ${re} after ${ms} ms; last lines:\n${lines.slice(-15).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin!.end('x\n');
      const t = setTimeout(() => child.pid !== undefined && child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      started.delete(child);
    },
  };
}

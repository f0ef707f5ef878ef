/**
 * Test helpers: free ports, temp data dirs, and running the appliance as a real process (from
 * sources through tsx, or a built bundle) on loopback, stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const APPLIANCE_DIR = resolve(import.meta.dirname, '..');
export const MAIN_TS = join(APPLIANCE_DIR, 'src/main.ts');

/**
 * Port numbers already handed out by this test process, per protocol. A pick binds port 0 and lets
 * the port go before the caller binds it, so the kernel could hand the same number to a later pick
 * (two appliance ports, or a test's port and one of loopbackArgs', would then clash).
 */
const handedOut = { tcp: new Set<number>(), udp: new Set<number>() };

async function unused(kind: 'tcp' | 'udp', bindZero: () => Promise<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await bindZero();
    if (!handedOut[kind].has(port)) {
      handedOut[kind].add(port);
      return port;
    }
  }
  throw new Error(`no ${kind} port left that this process has not handed out already`);
}

/** A free TCP port on 127.0.0.1, never one this process was given before. */
export async function freeTcpPort(): Promise<number> {
  return unused(
    'tcp',
    () =>
      new Promise((res, rej) => {
        const s = createServer();
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => res(port));
        });
      }),
  );
}

/** A free UDP port on 127.0.0.1, never one this process was given before. */
export async function freeUdpPort(): Promise<number> {
  return unused(
    'udp',
    () =>
      new Promise((res, rej) => {
        const s = createSocket('udp4');
        s.once('error', rej);
        s.bind(0, '127.0.0.1', () => {
          const port = s.address().port;
          s.close(() => res(port));
        });
      }),
  );
}

export async function tempDir(prefix = 'lanbox-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface RunningAppliance {
  proc: ChildProcess;
  webPort: number;
  dhtPort: number;
  /** Parsed pino lines so far (non-JSON lines kept as { raw }). */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM and wait for the exit code. */
  stop: () => Promise<number | string>;
  /** Kill without waiting (after() hooks). */
  kill: () => void;
  base: string;
}

export interface StartOptions extends SpawnOptions {
  /** Extra flags after the test defaults. */
  args?: string[];
  dataDir: string;
  /** Replaces the loopback defaults (then `args` must name every port). */
  baseArgs?: { args: string[]; webPort: number; dhtPort: number };
  /** @default 30000 */
  readyTimeoutMs?: number;
}

/** Flags that keep a test appliance on loopback: no multicast, TURN probe to a closed local port. */
export async function loopbackArgs(dataDir: string): Promise<{ args: string[]; webPort: number; dhtPort: number }> {
  const webPort = await freeTcpPort();
  const dhtPort = await freeUdpPort();
  const proxyPort = await freeTcpPort();
  const pushPort = await freeTcpPort();
  const turnPort = await freeUdpPort();
  return {
    webPort,
    dhtPort,
    args: [
      '--data-dir',
      dataDir,
      '--dht-port',
      String(dhtPort),
      '--web-port',
      String(webPort),
      '--proxy-port',
      String(proxyPort),
      '--push-port',
      String(pushPort),
      '--bind',
      '127.0.0.1',
      '--no-discovery',
      '--turn',
      `turn://ring:ring@127.0.0.1:${turnPort}`,
    ],
  };
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  bundle?: string;
  cwd?: string;
  /** Command the node invocation is wrapped in, e.g. ['ip', 'netns', 'exec', NS] (it must exec node). */
  wrap?: string[];
}

export function spawnAppliance(args: string[], opts: SpawnOptions = {}): ChildProcess {
  const nodeArgs = opts.bundle ? [opts.bundle, ...args] : ['--conditions=lanbox-source', '--import', 'tsx', MAIN_TS, ...args];
  const [cmd, ...pre] = opts.wrap ?? [];
  return spawn(cmd ?? process.execPath, cmd === undefined ? nodeArgs : [...pre, process.execPath, ...nodeArgs], {
    cwd: opts.cwd ?? APPLIANCE_DIR,
    env: opts.env ?? { ...process.env, NOTIFY_SOCKET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function exitOf(proc: ChildProcess): Promise<number | string> {
  return new Promise((res) => {
    if (proc.exitCode !== null) return res(proc.exitCode);
    if (proc.signalCode !== null) return res(proc.signalCode);
    proc.once('exit', (code, signal) => res(code ?? signal ?? -1));
  });
}

export async function startAppliance(opts: StartOptions): Promise<RunningAppliance> {
  const base = opts.baseArgs ?? (await loopbackArgs(opts.dataDir));
  const proc = spawnAppliance([...base.args, ...(opts.args ?? [])], opts);
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  let buf = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = exitOf(proc);
  const ready = new Promise<void>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`appliance not ready after ${opts.readyTimeoutMs ?? 30000} ms\n${err}\n${JSON.stringify(logs)}`)),
      opts.readyTimeoutMs ?? 30000,
    );
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { raw: line };
        }
        logs.push(entry);
        if (typeof entry.msg === 'string' && entry.msg.startsWith('ready:')) {
          clearTimeout(timer);
          res();
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`appliance exited (${code}) before ready\n${err}\n${JSON.stringify(logs)}`));
    });
  });
  await ready;
  return {
    proc,
    webPort: base.webPort,
    dhtPort: base.dhtPort,
    logs,
    stderr: () => err,
    exited,
    base: `http://127.0.0.1:${base.webPort}`,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) proc.kill('SIGKILL');
    },
  };
}

export async function getJson(url: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const r = await fetch(url);
  return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or times out. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

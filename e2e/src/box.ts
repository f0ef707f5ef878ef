/**
 * The box on the LAN: the lanbox appliance (the built bundle, or the sources through tsx) and the
 * box's coturn, both running inside one LAN host's namespace, as on a real box. Ports inside the
 * namespace are the box's real defaults (DHT 4222, web 8080, coturn 3478) since the namespace is
 * ours alone; the appliance's TURN monitor probes 127.0.0.1:3478, i.e. that coturn.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { LanHost } from './lan.js';
import { startTracked, type Tracked } from './process.js';
import type { Teardown } from './teardown.js';
import { waitFor } from './wait.js';

const exec = promisify(execFile);

/** The repository root (this file is e2e/src/box.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const APPLIANCE_DIR = join(REPO_ROOT, 'appliance');

/** The parts of /api/status the harness reads; everything else is there too, untyped. */
export interface BoxStatus {
  [service: string]: unknown;
  dht: { state: string; summary: string; [k: string]: unknown };
  turn: { state: string; summary: string; servers?: Array<{ url: string; state: string; lastError?: string | null }>; [k: string]: unknown };
  nameserver: { state: string; summary: string; [k: string]: unknown };
}

export interface Box {
  readonly host: LanHost;
  readonly ip: string;
  readonly dhtPort: number;
  readonly webPort: number;
  /** coturn's port (undefined when the box runs without it). */
  readonly turnPort: number | undefined;
  /** What a Jami account types as Bootstrap: "IP:PORT". */
  readonly bootstrap: string;
  /** What a Jami account types as Name server: "http://IP:PORT". */
  readonly nameServer: string;
  /** What a Jami account types as TURN address: "IP:PORT". */
  readonly turnServer: string;
  readonly appliance: Tracked;
  readonly coturn: Tracked | undefined;
  /** The data dir and log files. */
  readonly dir: string;
  /** GET /api/status from inside the box. */
  status(): Promise<BoxStatus>;
  /** GET any path of the web port from inside the box. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** The last lines of lanbox's and coturn's logs, for a failure message. */
  diagnose(lines?: number): Promise<string>;
  /** Stops the appliance (SIGTERM) and coturn; resolves with the appliance's exit code. */
  stop(): Promise<number | string>;
}

export interface BoxOptions {
  /** The LAN host the box runs in. */
  host: LanHost;
  teardown: Teardown;
  /** Extra lanbox flags after the harness's (`--data-dir`, ports, `--log-level`); later flags win. */
  flags?: string[];
  /** @default 4222 */
  dhtPort?: number;
  /** @default 8080 */
  webPort?: number;
  /** Start the box's coturn (the shipped appliance/coturn/turnserver.conf) in the box's namespace. @default true */
  coturn?: boolean;
  /** Run the built bundle (built once per process by appliance/build.mjs) or the TypeScript sources. @default 'bundle' */
  run?: 'bundle' | 'source';
  /** Extra node options before the script (e.g. `--import` of a preload). @default none */
  nodeArgs?: string[];
  /** @default 60000 */
  readyTimeoutMs?: number;
  /**
   * Parent of the box's data dir and logs. @default a new dir under the OS temp dir, removed at
   * teardown unless LANBOX_E2E_KEEP=1 is in the environment
   */
  dir?: string;
}

let bundle: Promise<string> | undefined;

/**
 * Builds the appliance bundle into a temp dir once per process and returns lanbox.mjs's path.
 * The dir is removed when the process exits.
 */
export function buildBundle(): Promise<string> {
  bundle ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'lanbox-e2e-bundle-'));
    process.once('exit', () => rmSync(out, { recursive: true, force: true }));
    await exec(process.execPath, [join(APPLIANCE_DIR, 'build.mjs'), '--outdir', out], { timeout: 120_000 });
    return join(out, 'lanbox.mjs');
  })();
  return bundle;
}

/** The shipped coturn config with the per-run files (pid, user db) moved into `dir`. */
async function coturnConfig(dir: string, port: number): Promise<string> {
  const shipped = await readFile(join(APPLIANCE_DIR, 'coturn', 'turnserver.conf'), 'utf8');
  const lines = shipped.split('\n').filter((l) => !/^\s*(listening-port|pidfile|userdb)\s*=/.test(l));
  lines.push(`listening-port=${port}`, `pidfile=${join(dir, 'turnserver.pid')}`, `userdb=${join(dir, 'turndb')}`);
  const file = join(dir, 'turnserver.conf');
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

export async function startBox(options: BoxOptions): Promise<Box> {
  const { host, teardown } = options;
  const dhtPort = options.dhtPort ?? 4222;
  const webPort = options.webPort ?? 8080;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `lanbox-e2e-${host.name}-`)));
  // Registered first, so it runs last: after every process writing there has stopped.
  if (options.dir === undefined && process.env.LANBOX_E2E_KEEP !== '1') teardown.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const withCoturn = options.coturn ?? true;
  const turnPort = withCoturn ? 3478 : undefined;

  let coturn: Tracked | undefined;
  if (turnPort !== undefined) {
    const conf = await coturnConfig(dir, turnPort);
    // -v: coturn then logs each session with the client's address, so a test can see who used it.
    coturn = startTracked(host.wrap[0]!, [...host.wrap.slice(1), '/usr/bin/turnserver', '-c', conf, '-v'], {
      label: `coturn on ${host.name}`,
      logFile: join(dir, 'coturn.log'),
      teardown,
    });
    const c = coturn;
    await waitFor(
      `coturn on ${host.name} to listen on ${turnPort}`,
      async () => {
        if (!c.running()) throw new Error(`coturn exited: ${c.tail().slice(-2000)}`);
        const out = await host.run('ss', ['-Htln', `sport = :${turnPort}`]);
        return out.trim() !== '' ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  const flags = [
    '--data-dir',
    join(dir, 'data'),
    '--dht-port',
    String(dhtPort),
    '--web-port',
    String(webPort),
    '--log-level',
    'debug',
    ...(options.flags ?? []),
  ];
  const nodeArgs = options.nodeArgs ?? [];
  const node =
    options.run === 'source'
      ? [process.execPath, ...nodeArgs, '--conditions=lanbox-source', '--import', 'tsx', join(APPLIANCE_DIR, 'src/main.ts')]
      : [process.execPath, ...nodeArgs, await buildBundle()];
  const appliance = startTracked(host.wrap[0]!, [...host.wrap.slice(1), ...node, ...flags], {
    label: `lanbox on ${host.name}`,
    logFile: join(dir, 'lanbox.log'),
    cwd: APPLIANCE_DIR,
    env: { ...process.env, NOTIFY_SOCKET: '' },
    teardown,
  });

  const base = `http://127.0.0.1:${webPort}`;
  const get = (path: string): Promise<{ status: number; body: string }> => host.httpGet(`${base}${path}`);
  const status = async (): Promise<BoxStatus> => {
    const r = await get('/api/status');
    if (r.status !== 200) throw new Error(`/api/status answered ${r.status}`);
    return JSON.parse(r.body) as BoxStatus;
  };
  await waitFor(
    `lanbox on ${host.name} to answer /api/status`,
    async () => {
      if (!appliance.running()) throw new Error(`lanbox exited: ${appliance.tail().slice(-2000)}`);
      return status();
    },
    { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 500 },
  );

  return {
    host,
    ip: host.ip,
    dhtPort,
    webPort,
    turnPort,
    bootstrap: `${host.ip}:${dhtPort}`,
    nameServer: `http://${host.ip}:${webPort}`,
    turnServer: `${host.ip}:${turnPort ?? 3478}`,
    appliance,
    coturn,
    dir,
    status,
    get,
    async diagnose(lines = 40) {
      const last = (text: string): string => text.split('\n').slice(-lines).join('\n');
      return `--- ${appliance.label} (${dir}/lanbox.log)\n${last(await appliance.log())}\n--- ${coturn ? `${coturn.label}\n${last(await coturn.log())}` : 'no coturn'}`;
    },
    async stop() {
      const code = await appliance.stop(15_000);
      await coturn?.stop();
      return code;
    },
  };
}

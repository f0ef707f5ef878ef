import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock, systemScheduler, type Clock, type ScheduledTask, type Scheduler } from '@lanbox/clock';
import type { HealthState, StepName } from '../probe/classify.js';
import { startTcpEchoPeer, startUdpEchoPeer } from '../probe/echo-peers.js';
import { runProbe, type ProbeDeps, type ProbeResult, type ProbeSettings } from '../probe/probe.js';
import type { PersistedServer, PersistedSummary, SummaryStore } from '../store/summary-store.js';
import { openTcpChannel } from '../transport/tcp-channel.js';
import { openUdpChannel } from '../transport/udp-channel.js';
import { ServerHistory, type HistorySummary } from './history.js';
import { parseTurnUrl, turnServerConfig, type TurnServerConfig, type TurnServerEntry } from './server-url.js';

/** The box's own coturn with Jami's built-in credentials. */
export const DEFAULT_SERVERS: readonly string[] = ['turn://ring:ring@127.0.0.1:3478'];

export interface TurnMonitorOptions {
  /**
   * Servers to probe, as `{ host, port, username, password }` or as text
   * `turn://USER:PASSWORD@HOST:PORT` (port defaults to 3478). A non-empty list replaces the default.
   * @default ['turn://ring:ring@127.0.0.1:3478']
   */
  servers?: readonly (string | TurnServerEntry)[];
  /** Time between two checks of one server. @default 60000 */
  intervalMs?: number;
  /**
   * Address the probe's echo peers bind to; the server must be allowed to relay there. On the box
   * coturn denies loopback peers, so this is the LAN address.
   * @default the first non-internal IPv4 address of this host, else 127.0.0.1
   */
  peerAddress?: string;
  /** First UDP retransmission timeout. @default 250 */
  rtoMs?: number;
  /** Per-request timeout (UDP with retransmissions, TCP once). @default 3000 */
  requestTimeoutMs?: number;
  /** Wait for relayed echoes and RFC 6062 connections. @default 3000 */
  relayTimeoutMs?: number;
  /** TCP connect timeout towards a server. @default 3000 */
  connectTimeoutMs?: number;
  /** History window kept in memory. @default 86400000 (24 h) */
  historyWindowMs?: number;
  /** Most history entries kept per server, whatever the window. @default 1440 */
  historyLimit?: number;
  /** Entries of `history.recent` in `status()`. @default 60 */
  recentCount?: number;
  /** Save the summary at most this often, and whenever a server's state changes. @default 900000 */
  persistIntervalMs?: number;
  /** Period of the timer `start()` arms to call `tick()`. @default 1000 */
  tickMs?: number;
}

/** pino's shape, so the appliance can pass its logger unchanged. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface TurnMonitorComponents {
  /** Wall-clock time of checks, history and the saved summary. @default systemClock */
  clock?: Clock;
  store: SummaryStore;
  logger?: Logger;
  /** Runs `start()`'s schedule and the probes' retransmissions and timeouts. @default systemScheduler (unref'd real timers) */
  scheduler?: Scheduler;
  /** Monotonic ms clock for step round-trip times. @default performance.now */
  monotonic?: () => number;
  /** Random bytes (transaction ids, echo payloads). @default crypto.randomBytes */
  randomBytes?: (n: number) => Uint8Array;
}

/** A server's state; `pending` until its first check of this run has finished. */
export type ServerState = HealthState | 'pending';

export interface ServerStatus {
  /** `turn://USER@HOST:PORT`, no password. */
  readonly url: string;
  readonly state: ServerState;
  readonly lastError: string | null;
  readonly lastCheckedAt: number | null;
  /** Round-trip time in ms of each step that passed in the last check. */
  readonly steps: Partial<Record<StepName, number>>;
  /** Realm the server announced in its 401 challenge. */
  readonly realm: string | null;
  /** The server's SOFTWARE attribute. */
  readonly software: string | null;
  /** Relayed address granted by the last UDP allocation. */
  readonly relayed: string | null;
  readonly history: HistorySummary;
}

export interface TurnMonitorCounters {
  readonly checks: number;
  /** Checks not started because the previous one of that server was still running. */
  readonly overlapsSkipped: number;
  readonly requestsSent: number;
  readonly retransmits: number;
  readonly malformedReceived: number;
  readonly unmatchedReceived: number;
  readonly staleNonceRetries: number;
  readonly storeErrors: number;
}

export interface TurnMonitorStatus {
  /** Worst of the servers' states (`pending` ranks between ok and degraded). */
  readonly state: ServerState;
  readonly servers: readonly ServerStatus[];
  readonly counters: TurnMonitorCounters;
}

export interface TurnMonitor {
  /** Starts the checks that are due at `now` and resolves when they have finished. */
  tick(now?: number): Promise<void>;
  /** Calls `tick` from a timer every `tickMs` until `stop()`. */
  start(): void;
  /** Stops the timer, waits for running checks and saves the summary. */
  stop(): Promise<void>;
  status(): TurnMonitorStatus;
}

/** Thrown by `createTurnMonitor` for bad options; `problems` lists every one of them. */
export class TurnMonitorConfigError extends Error {
  override readonly name = 'TurnMonitorConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid TURN monitor configuration: ${problems.join('; ')}`);
  }
}

interface ServerSlot {
  readonly config: TurnServerConfig;
  readonly history: ServerHistory;
  state: ServerState;
  lastError: string | null;
  lastCheckedAt: number | null;
  steps: Partial<Record<StepName, number>>;
  realm: string | null;
  software: string | null;
  relayed: string | null;
  nextDueAt: number;
  running: Promise<void> | undefined;
}

function defaultPeerAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return '127.0.0.1';
}

function positive(name: string, value: number, problems: string[]): number {
  if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number`);
  return value;
}

function describe(result: ProbeResult): string | null {
  const f = result.failure;
  return f ? `${f.step}: ${f.reason}` : null;
}

const RANK: Record<ServerState, number> = { ok: 0, pending: 1, degraded: 2, down: 3 };

export function createTurnMonitor(options: TurnMonitorOptions, components: TurnMonitorComponents): TurnMonitor {
  const problems: string[] = [];
  const urls = options.servers && options.servers.length > 0 ? options.servers : DEFAULT_SERVERS;
  const configs: TurnServerConfig[] = [];
  for (const entry of urls) {
    const parsed = typeof entry === 'string' ? parseTurnUrl(entry) : turnServerConfig(entry);
    if (parsed.ok) configs.push(parsed.value);
    else problems.push(parsed.error);
  }
  const intervalMs = positive('intervalMs', options.intervalMs ?? 60_000, problems);
  const windowMs = positive('historyWindowMs', options.historyWindowMs ?? 86_400_000, problems);
  const historyLimit = positive('historyLimit', options.historyLimit ?? 1440, problems);
  const recentCount = positive('recentCount', options.recentCount ?? 60, problems);
  const persistIntervalMs = positive('persistIntervalMs', options.persistIntervalMs ?? 900_000, problems);
  const tickMs = positive('tickMs', options.tickMs ?? 1000, problems);
  const settings: ProbeSettings = {
    rtoMs: positive('rtoMs', options.rtoMs ?? 250, problems),
    timeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 3000, problems),
    relayTimeoutMs: positive('relayTimeoutMs', options.relayTimeoutMs ?? 3000, problems),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 3000, problems),
    peerAddress: options.peerAddress ?? defaultPeerAddress(),
  };
  const seen = new Set<string>();
  for (const c of configs) {
    if (seen.has(c.url)) problems.push(`"${c.url}" is listed twice`);
    seen.add(c.url);
  }
  if (problems.length > 0) throw new TurnMonitorConfigError(problems);

  const { store, logger } = components;
  const clock = components.clock ?? systemClock;
  const scheduler = components.scheduler ?? systemScheduler;
  const deps: ProbeDeps = {
    now: components.monotonic ?? (() => performance.now()),
    scheduler,
    randomBytes: components.randomBytes ?? ((n) => cryptoRandomBytes(n)),
    channels: { openUdp: openUdpChannel, openTcp: openTcpChannel },
    startUdpPeer: startUdpEchoPeer,
    startTcpPeer: startTcpEchoPeer,
  };

  const slots: ServerSlot[] = configs.map((config) => ({
    config,
    history: new ServerHistory(windowMs, historyLimit, recentCount),
    state: 'pending',
    lastError: null,
    lastCheckedAt: null,
    steps: {},
    realm: null,
    software: null,
    relayed: null,
    nextDueAt: 0,
    running: undefined,
  }));
  const counters = {
    checks: 0,
    overlapsSkipped: 0,
    requestsSent: 0,
    retransmits: 0,
    malformedReceived: 0,
    unmatchedReceived: 0,
    staleNonceRetries: 0,
    storeErrors: 0,
  };
  let loaded: Promise<void> | undefined;
  let lastSavedAt = -Infinity;
  let dirty = false;
  let timer: ScheduledTask | undefined;
  let stopped = false;

  /** Restores what the last run knew: when each server was last seen working or failing. */
  async function load(): Promise<void> {
    let summary: PersistedSummary | undefined;
    try {
      summary = await store.load();
    } catch (e) {
      counters.storeErrors++;
      logger?.warn({ err: e }, 'TURN monitor: could not load the saved summary');
    }
    for (const slot of slots) {
      const saved = summary?.servers[slot.config.url];
      if (!saved) continue;
      slot.history.lastOkAt = saved.lastOkAt;
      slot.history.lastFailureAt = saved.lastFailureAt;
      slot.lastCheckedAt = saved.lastCheckedAt;
      slot.lastError = saved.lastError;
    }
  }

  async function save(now: number): Promise<void> {
    const servers: Record<string, PersistedServer> = {};
    for (const s of slots) {
      if (s.state === 'pending' || s.lastCheckedAt === null) continue;
      const h = s.history.summary();
      servers[s.config.url] = {
        state: s.state,
        lastCheckedAt: s.lastCheckedAt,
        lastError: s.lastError,
        lastOkAt: h.lastOkAt,
        lastFailureAt: h.lastFailureAt,
        checks: h.checks,
        ok: h.ok,
        degraded: h.degraded,
        down: h.down,
      };
    }
    try {
      await store.save({ version: 1, savedAt: now, servers });
      lastSavedAt = now;
      dirty = false;
    } catch (e) {
      counters.storeErrors++;
      logger?.warn({ err: e }, 'TURN monitor: could not save the summary');
    }
  }

  function record(slot: ServerSlot, result: ProbeResult, at: number): void {
    const previous = slot.state;
    counters.checks++;
    counters.requestsSent += result.transactions.sent;
    counters.retransmits += result.transactions.retransmits;
    counters.malformedReceived += result.transactions.malformed;
    counters.unmatchedReceived += result.transactions.unmatched;
    counters.staleNonceRetries += result.staleNonceRetries;
    slot.state = result.state;
    slot.lastError = describe(result);
    slot.lastCheckedAt = at;
    slot.steps = result.steps;
    slot.realm = result.realm ?? slot.realm;
    slot.software = result.software ?? slot.software;
    slot.relayed = result.relayed ?? null;
    slot.history.add({ at, state: result.state, ...(result.state === 'ok' ? {} : { error: slot.lastError }) });
    if (previous !== result.state) {
      dirty = true;
      const fields = { url: slot.config.url, state: result.state, previous, error: slot.lastError };
      if (result.state === 'ok') logger?.info(fields, 'TURN server state changed');
      else logger?.warn(fields, 'TURN server state changed');
    }
  }

  async function check(slot: ServerSlot): Promise<void> {
    const { host, port, username, password } = slot.config;
    const result = await runProbe({ host, port, username, password }, settings, deps);
    record(slot, result, clock.now());
  }

  async function tick(now: number = clock.now()): Promise<void> {
    loaded ??= load();
    await loaded;
    const started: Promise<void>[] = [];
    for (const slot of slots) {
      slot.history.prune(now);
      if (now < slot.nextDueAt) continue;
      if (slot.running) {
        counters.overlapsSkipped++;
        continue;
      }
      slot.nextDueAt = now + intervalMs;
      const run = check(slot).finally(() => {
        slot.running = undefined;
      });
      slot.running = run;
      started.push(run);
    }
    await Promise.all(started);
    if (started.length > 0 && (dirty || now - lastSavedAt >= persistIntervalMs)) await save(clock.now());
  }

  function arm(): void {
    timer = scheduler.schedule(tickMs, () => {
      if (stopped) return;
      tick().catch((e: unknown) => logger?.error({ err: e }, 'TURN monitor tick failed'));
      arm();
    });
  }

  return {
    tick,
    start() {
      if (timer !== undefined || stopped) return;
      tick().catch((e: unknown) => logger?.error({ err: e }, 'TURN monitor tick failed'));
      arm();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      await Promise.all(slots.map((s) => s.running));
      if (slots.some((s) => s.lastCheckedAt !== null && s.state !== 'pending')) await save(clock.now());
    },
    status() {
      const now = clock.now();
      let state: ServerState = 'ok';
      for (const s of slots) if (RANK[s.state] > RANK[state]) state = s.state;
      return {
        state,
        servers: slots.map((s) => ({
          url: s.config.url,
          state: s.state,
          lastError: s.lastError,
          lastCheckedAt: s.lastCheckedAt,
          steps: { ...s.steps },
          realm: s.realm,
          software: s.software,
          relayed: s.relayed,
          history: s.history.summary(now),
        })),
        counters: { ...counters },
      };
    },
  };
}

/**
 * sd_notify for Node without native code.
 *
 * Node cannot send AF_UNIX datagrams, so each message spawns the `systemd-notify` CLI with
 * `KEY=VALUE` arguments. We deliberately do not use the `systemd-notify` npm package: it always
 * passes `--pid=<node pid>`, which systemd 252 refuses for non-root (DynamicUser) services, and it
 * cannot send WATCHDOG=1 or STOPPING=1. The unit must say `NotifyAccess=all`, because the datagram
 * comes from the child process. Without NOTIFY_SOCKET (not under systemd) everything is a no-op.
 */
import { spawn } from 'node:child_process';
import { systemScheduler, type ScheduledTask, type Scheduler } from '@lanbox/clock';

export interface NotifyLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface SystemdNotifier {
  /** True when running under systemd with a notify socket. */
  readonly enabled: boolean;
  /** READY=1 plus a status line; starts the watchdog pings when systemd asked for them. */
  ready(status: string): Promise<void>;
  status(status: string): Promise<void>;
  /** STOPPING=1 plus a status line; stops the watchdog pings. */
  stopping(status: string): Promise<void>;
  /** Watchdog period systemd asked for (WATCHDOG_USEC), in ms, or null. */
  readonly watchdogMs: number | null;
  /** Stops the watchdog timer without telling systemd anything (for tests and failures). */
  close(): void;
}

export interface NotifierOptions {
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Path of the CLI. @default 'systemd-notify' */
  command?: string;
  /** The CLI never needs long; a hung one is killed. @default 5000 */
  timeoutMs?: number;
  logger?: NotifyLogger;
  /** Runs the watchdog pings (`@lanbox/clock`, as the packages take it). @default unref'd real timers */
  scheduler?: Scheduler;
}

/** Sends one notification; resolves when the CLI exited (failures are logged, never thrown). */
function send(command: string, fields: string[], env: NodeJS.ProcessEnv, timeoutMs: number, logger?: NotifyLogger): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(command, fields, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    // Our own kill timer, not spawn's `timeout`: Node clears that one on 'exit' only, which a
    // command that cannot start never emits, so it would hold the process for `timeoutMs`.
    const timer = setTimeout(() => child.kill(), timeoutMs);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 1000) stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      logger?.warn({ err: err.message, fields }, 'systemd-notify could not run');
      resolve();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) logger?.warn({ code, stderr: stderr.trim(), fields }, 'systemd-notify failed');
      resolve();
    });
  });
}

export function createSystemdNotifier(options: NotifierOptions = {}): SystemdNotifier {
  const env = options.env ?? process.env;
  const command = options.command ?? 'systemd-notify';
  const timeoutMs = options.timeoutMs ?? 5000;
  const enabled = typeof env.NOTIFY_SOCKET === 'string' && env.NOTIFY_SOCKET !== '';
  const usec = Number(env.WATCHDOG_USEC);
  // WATCHDOG_PID names the process systemd expects pings for; if it is another process, not us.
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogMs = enabled && forUs && Number.isFinite(usec) && usec > 0 ? Math.floor(usec / 1000) : null;
  const scheduler = options.scheduler ?? systemScheduler;
  let timer: ScheduledTask | null = null;

  const notify = (fields: string[]) => (enabled ? send(command, fields, env, timeoutMs, options.logger) : Promise.resolve());

  const stopWatchdog = () => {
    timer?.cancel();
    timer = null;
  };

  // Status lines are one line in systemd's view; a newline would start a new field.
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').slice(0, 200);

  return {
    enabled,
    watchdogMs,
    async ready(status) {
      await notify(['READY=1', `STATUS=${oneLine(status)}`]);
      if (watchdogMs !== null && timer === null) {
        const period = Math.max(1, Math.floor(watchdogMs / 2));
        const ping = () => {
          timer = scheduler.schedule(period, ping);
          void notify(['WATCHDOG=1']);
        };
        timer = scheduler.schedule(period, ping);
      }
    },
    async status(status) {
      await notify([`STATUS=${oneLine(status)}`]);
    },
    async stopping(status) {
      stopWatchdog();
      await notify(['STOPPING=1', `STATUS=${oneLine(status)}`]);
    },
    close: stopWatchdog,
  };
}

/**
 * lanbox entry point: reads the configuration, runs the appliance, tells systemd, and maps the
 * outcome to the exit codes of the contract: 0 clean shutdown (SIGTERM/SIGINT), 1 unexpected
 * failure, 2 bad configuration (every error listed on stderr).
 */
// First: V8 heap settings must be in place before the rest of the bundle allocates.
import './heap-settings.js';
import { destination, pino, type Logger } from 'pino';
import { loadConfig } from './config/load.js';
import { helpText } from './config/help.js';
import { createAppliance, type Appliance } from './appliance.js';
import { createSystemdNotifier } from './systemd/notify.js';
import { selftest } from './selftest.js';
import { openStorage } from './storage.js';
import { VERSION } from './version.js';
import { isoUtc } from './iso-time.js';
import { startHeapRelease } from './heap-release.js';
import { logSerializers } from './log-errors.js';

/** A stop that hangs (a stuck socket, a disk that does not answer) must not keep the unit alive forever. */
const STOP_TIMEOUT_MS = 15_000;
/** How often systemd's status line is refreshed. */
const STATUS_INTERVAL_MS = 60_000;

/** pino's `isoTime` output (`,"time":"2026-12-06T17:29:54.061Z"`) without Date#toISOString (see iso-time.ts). */
const isoTime = (): string => `,"time":"${isoUtc(Date.now())}"`;

async function run(argv: readonly string[]): Promise<void> {
  const loaded = loadConfig(argv);
  if (loaded.kind === 'help') {
    process.stdout.write(helpText());
    return;
  }
  if (loaded.kind === 'version') {
    process.stdout.write(`lanbox ${VERSION}\n`);
    return;
  }
  if (loaded.kind === 'selftest') {
    const result = await selftest(pino({ level: 'warn', serializers: logSerializers }, destination({ dest: 2, sync: true })));
    process.stdout.write(`${JSON.stringify({ selftest: result.ok ? 'ok' : 'failed', version: VERSION, ...result })}\n`);
    process.exitCode = result.ok ? 0 : 1;
    return;
  }
  if (loaded.kind === 'repair') {
    const log = pino({ level: 'warn', serializers: logSerializers }, destination({ dest: 2, sync: true }));
    const storage = await openStorage(loaded.config.dataDir, log);
    try {
      await storage.names.open();
      const names = await storage.names.repair();
      process.stdout.write(
        `${JSON.stringify({ repair: names.state === 'ok' ? 'ok' : 'failed', dataDir: loaded.config.dataDir, names: { ...names, count: storage.names.count() }, dht: storage.dhtHealth() }, null, 2)}\n`,
      );
      process.exitCode = names.state === 'ok' ? 0 : 1;
    } finally {
      await storage.close();
    }
    return;
  }
  if (loaded.kind === 'invalid') {
    process.stderr.write(`lanbox: ${loaded.errors.length} configuration error${loaded.errors.length === 1 ? '' : 's'}:\n`);
    for (const e of loaded.errors) process.stderr.write(`  ${e}\n`);
    process.stderr.write('See lanbox --help.\n');
    process.exitCode = 2;
    return;
  }
  const { config, configFile } = loaded;
  // Synchronous writes: lines stay in order and none is lost when process.exit() follows a log
  // call. The volume is a few lines a minute, so blocking on stdout costs nothing.
  const logger: Logger = pino(
    { level: config.logLevel, base: { pid: process.pid }, timestamp: isoTime, serializers: logSerializers },
    destination({ dest: 1, sync: true }),
  );
  const notifier = createSystemdNotifier({ logger: logger.child({ component: 'systemd' }) });
  const fail = (err: unknown, msg: string) => {
    logger.fatal({ err }, msg);
    notifier.close();
    process.exit(1);
  };
  process.on('uncaughtException', (err) => fail(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => fail(err, 'unhandled rejection'));

  const { adminToken, siteKey, turn, ...shown } = config;
  logger.info(
    {
      version: VERSION,
      configFile,
      ...shown,
      turn: turn.map((t) => `turn://${t.username}@${t.host}:${t.port}`),
      adminToken: adminToken === null ? 'off' : 'set',
      siteKey: siteKey === null ? 'off' : 'set',
    },
    'lanbox starting',
  );
  const heapRelease = startHeapRelease({}, { logger: logger.child({ component: 'heap' }) });
  const appliance: Appliance = createAppliance(config, { logger, heapRelease });

  // A signal during start waits for start to settle, so stop never races half-opened services.
  let starting: Promise<unknown> = Promise.resolve();
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const guard = setTimeout(() => fail(new Error(`stop took longer than ${STOP_TIMEOUT_MS} ms`), 'shutdown timed out'), STOP_TIMEOUT_MS);
    guard.unref();
    void notifier
      .stopping('stopping')
      .then(() => starting.catch(() => undefined))
      .then(() => appliance.stop())
      .then(
        () => {
          logger.info('stopped cleanly');
          process.exit(0);
        },
        (err: unknown) => fail(err, 'shutdown failed'),
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    starting = appliance.start();
    await starting;
  } catch (err) {
    fail(err, 'start failed');
    return;
  }
  if (shuttingDown) return;
  const summary = appliance.summary();
  logger.info({ webPort: appliance.webPort }, `ready: ${summary}`);
  await notifier.ready(summary);
  if (notifier.enabled) {
    // Keep `systemctl status` current (node count); one spawn a minute is negligible.
    const timer = setInterval(() => {
      if (!shuttingDown) void notifier.status(appliance.summary());
    }, STATUS_INTERVAL_MS);
    timer.unref();
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`lanbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

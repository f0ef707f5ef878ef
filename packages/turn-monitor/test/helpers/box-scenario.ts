// Runs inside a network namespace the test created (see test/interop/box.test.ts): the shipped coturn config,
// unchanged but for log and database paths, and the monitor with its defaults, as on the box.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTurnMonitor } from '../../src/index.js';
import { waitForCoturn } from './coturn.js';
import { MemoryStore } from './memory-store.js';

const configPath = process.argv[2];
if (!configPath) throw new Error('usage: box-scenario.ts CONFIG');
const dir = await mkdtemp(join(tmpdir(), 'lanbox-box-'));
const shipped = (await readFile(configPath, 'utf8')).split('\n').filter((l) => !/^(log-file|simple-log)\b/.test(l.trim()));
const conf = join(dir, 'turnserver.conf');
await writeFile(
  conf,
  [...shipped, `userdb=${join(dir, 'turndb')}`, `pidfile=${join(dir, 'pid')}`, `log-file=${join(dir, 'log')}`, 'simple-log', 'no-stdout-log'].join('\n'),
);
const coturn = spawn('/usr/bin/turnserver', ['-c', conf], { stdio: 'ignore' });
try {
  await waitForCoturn(3478, coturn, 15_000);
  const monitor = createTurnMonitor({}, { clock: { now: () => Date.now() }, store: new MemoryStore() });
  await monitor.tick();
  process.stdout.write(JSON.stringify(monitor.status()));
} finally {
  if (coturn.pid !== undefined && coturn.exitCode === null) process.kill(coturn.pid, 'SIGTERM');
  await rm(dir, { recursive: true, force: true });
}

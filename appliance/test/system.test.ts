/** The box's own numbers in /api/status (`system`), read from /proc and /sys (here fake trees). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { systemStatus } from '../src/system.js';
import { tempDir } from './helpers.js';

const dirs: Array<{ remove: () => Promise<void> }> = [];
after(async () => {
  for (const d of dirs) await d.remove();
});

async function fakeRoots(zones: Record<string, { temp: string; type: string }>, meminfo: string | null) {
  const d = await tempDir('lanbox-sys-');
  dirs.push(d);
  const proc = join(d.path, 'proc');
  const sys = join(d.path, 'sys');
  await mkdir(proc, { recursive: true });
  await mkdir(join(sys, 'class/thermal'), { recursive: true });
  if (meminfo !== null) await writeFile(join(proc, 'meminfo'), meminfo);
  for (const [z, v] of Object.entries(zones)) {
    await mkdir(join(sys, 'class/thermal', z));
    await writeFile(join(sys, 'class/thermal', z, 'temp'), v.temp);
    await writeFile(join(sys, 'class/thermal', z, 'type'), v.type);
  }
  await mkdir(join(sys, 'class/thermal/cooling_device0'));
  return { procRoot: proc, sysRoot: sys, dataDir: d.path };
}

test('the hottest sane thermal zone, MemAvailable, and free space of the data dir', async () => {
  const roots = await fakeRoots(
    {
      thermal_zone0: { temp: '48312\n', type: 'cpu-thermal\n' },
      thermal_zone1: { temp: '51000\n', type: 'gpu-thermal\n' },
      thermal_zone2: { temp: '-273000\n', type: 'broken\n' },
      thermal_zone3: { temp: 'garbage', type: 'x' },
    },
    'MemTotal:        3884084 kB\nMemFree:          100000 kB\nMemAvailable:    2000000 kB\n',
  );
  const s = systemStatus(roots);
  assert.equal(s.temperatureCelsius, 51);
  assert.equal(s.temperatureSource, 'gpu-thermal');
  assert.equal(s.memoryAvailableBytes, 2000000 * 1024);
  assert.equal(s.memoryTotalBytes, totalmem());
  assert.ok(s.diskFreeBytes !== null && s.diskFreeBytes > 0 && s.diskTotalBytes !== null && s.diskTotalBytes >= s.diskFreeBytes);
  assert.ok(s.cpus >= 1 && s.uptimeSeconds > 0 && s.load1 >= 0);
  assert.match(s.summary, /load \d+\.\d\d on \d+ CPUs?, \d+ MB of \d+ MB memory available, [\d.]+ GB of [\d.]+ GB free for data, 51 °C/);
});

test('no thermal zone and no meminfo: temperature null, free memory from the kernel; a hot board needs attention', async () => {
  const none = systemStatus(await fakeRoots({}, null));
  assert.equal(none.temperatureCelsius, null);
  assert.equal(none.temperatureSource, null);
  assert.ok(none.memoryAvailableBytes > 0);
  assert.ok(!none.summary.includes('°C'));
  const hot = systemStatus(await fakeRoots({ thermal_zone0: { temp: '85000', type: 'cpu-thermal' } }, 'MemAvailable: 2000000 kB\n'));
  assert.equal(hot.state, 'degraded');
  assert.match(hot.summary, /hot: 85 °C/);
  const gone = systemStatus({ dataDir: '/nonexistent/lanbox-data', procRoot: '/nonexistent', sysRoot: '/nonexistent' });
  assert.equal(gone.diskFreeBytes, null);
  assert.match(gone.summary, /free space unknown/);
});

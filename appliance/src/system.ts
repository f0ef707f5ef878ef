/**
 * The box itself for /api/status (`system`): CPU load, memory, free space where the data lives,
 * uptime, and the temperature where the board reports one (Raspberry Pis do, under
 * /sys/class/thermal; most VMs and CI machines do not, and then it is null).
 * Reads a few small kernel files per call; every read is bounded and may fail without throwing.
 */
import { closeSync, openSync, readdirSync, readSync, statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, uptime } from 'node:os';
import { join } from 'node:path';

export interface SystemStatus {
  state: 'ok' | 'degraded';
  summary: string;
  load1: number;
  load5: number;
  load15: number;
  cpus: number;
  memoryTotalBytes: number;
  /** MemAvailable from /proc/meminfo (what new work can use), else the kernel's free memory. */
  memoryAvailableBytes: number;
  /** Free space for the appliance (not root's reserve) on the file system of the data directory. */
  diskFreeBytes: number | null;
  diskTotalBytes: number | null;
  uptimeSeconds: number;
  /** Hottest thermal zone, or null when the board reports none. */
  temperatureCelsius: number | null;
  /** Which zone that was (its `type`, e.g. "cpu-thermal"). */
  temperatureSource: string | null;
}

export interface SystemProbeOptions {
  /** Where the data lives (its file system's free space is reported). */
  dataDir: string;
  /** @default '/proc' */
  procRoot?: string;
  /** @default '/sys' */
  sysRoot?: string;
}

/** Less free disk than this (or than 5 %) makes the box "needs attention". */
const LOW_DISK_BYTES = 200 * 1024 * 1024;
const HOT_CELSIUS = 80;
/** Thermal zones read at most (a board has a handful). */
const MAX_ZONES = 16;

/** Reads at most `max` bytes of a small kernel file; null if it cannot. */
function readSmall(path: string, max = 4096): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function memAvailable(procRoot: string): number | null {
  const text = readSmall(join(procRoot, 'meminfo'), 8192);
  const m = text === null ? null : /^MemAvailable:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

function hottestZone(sysRoot: string): { celsius: number; source: string } | null {
  const dir = join(sysRoot, 'class/thermal');
  let zones: string[];
  try {
    zones = readdirSync(dir)
      .filter((z) => /^thermal_zone\d+$/.test(z))
      .slice(0, MAX_ZONES);
  } catch {
    return null;
  }
  let best: { celsius: number; source: string } | null = null;
  for (const z of zones) {
    const raw = readSmall(join(dir, z, 'temp'), 32)?.trim();
    // millidegrees Celsius; some drivers report a bogus negative or huge value when idle
    const celsius = raw !== undefined && /^-?\d{1,7}$/.test(raw) ? Number(raw) / 1000 : NaN;
    if (!Number.isFinite(celsius) || celsius < -40 || celsius > 150) continue;
    const source = readSmall(join(dir, z, 'type'), 64)?.trim() || z;
    if (best === null || celsius > best.celsius) best = { celsius, source };
  }
  return best;
}

const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
const gb = (n: number) => (n >= 10 * 1073741824 ? `${Math.round(n / 1073741824)} GB` : `${(n / 1073741824).toFixed(1)} GB`);

export function systemStatus(options: SystemProbeOptions): SystemStatus {
  const procRoot = options.procRoot ?? '/proc';
  const sysRoot = options.sysRoot ?? '/sys';
  const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
  const memoryTotalBytes = totalmem();
  const memoryAvailableBytes = memAvailable(procRoot) ?? freemem();
  let diskFreeBytes: number | null = null;
  let diskTotalBytes: number | null = null;
  try {
    const fs = statfsSync(options.dataDir);
    diskFreeBytes = fs.bavail * fs.bsize;
    diskTotalBytes = fs.blocks * fs.bsize;
  } catch {
    // the data dir vanished or is unreadable: reported as unknown
  }
  const zone = hottestZone(sysRoot);
  const problems: string[] = [];
  if (diskFreeBytes !== null && diskTotalBytes !== null && (diskFreeBytes < LOW_DISK_BYTES || diskFreeBytes < diskTotalBytes * 0.05)) {
    problems.push(`only ${mb(diskFreeBytes)} free for data`);
  }
  if (memoryAvailableBytes < memoryTotalBytes * 0.05) problems.push(`only ${mb(memoryAvailableBytes)} of memory available`);
  if (zone !== null && zone.celsius >= HOT_CELSIUS) problems.push(`hot: ${zone.celsius.toFixed(0)} °C`);
  const n = cpus().length;
  const parts = [
    `load ${load1.toFixed(2)} on ${n} CPU${n === 1 ? '' : 's'}`,
    `${mb(memoryAvailableBytes)} of ${mb(memoryTotalBytes)} memory available`,
    diskFreeBytes !== null && diskTotalBytes !== null ? `${gb(diskFreeBytes)} of ${gb(diskTotalBytes)} free for data` : 'free space unknown',
    zone !== null ? `${zone.celsius.toFixed(0)} °C` : '',
  ].filter(Boolean);
  return {
    state: problems.length > 0 ? 'degraded' : 'ok',
    summary: problems.length > 0 ? `${problems.join('; ')} (${parts.join(', ')})` : parts.join(', '),
    load1,
    load5,
    load15,
    cpus: n,
    memoryTotalBytes,
    memoryAvailableBytes,
    diskFreeBytes,
    diskTotalBytes,
    uptimeSeconds: Math.round(uptime()),
    temperatureCelsius: zone?.celsius ?? null,
    temperatureSource: zone?.source ?? null,
  };
}

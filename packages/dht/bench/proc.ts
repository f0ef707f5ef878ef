/** Resource usage of a server process, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/PID/stat times (USER_HZ; 100 on every Linux ABI Node runs on). */
const CLOCK_TICKS = 100;

/** utime + stime of `pid` in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime field 14, stime field 15 (1-based, see proc(5)).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return (utime + stime) / CLOCK_TICKS;
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** VmRSS and its parts (RssAnon, RssFile, RssShmem of /proc/PID/status) in bytes. */
export interface RssSplit {
  rss: number;
  anon: number;
  file: number;
  shmem: number;
}

export function rssSplit(pid: number): RssSplit {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}

/**
 * Exact on-CPU seconds of the live threads of `pid` (the sum of their /proc schedstat run times,
 * in ns), kept beside the tick-based figure in the raw results: a run is ~0.25 s of CPU, and
 * utime and stime are each truncated to 10 ms ticks.
 */
export function onCpuSeconds(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e9;
}

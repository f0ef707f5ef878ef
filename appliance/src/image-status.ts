/**
 * What the SD-card image's boot helpers know and the status page must show: errors in the
 * settings file on the FAT partition, and whether the box serves DHCP (and why, or why not).
 * lanbox-setup and lanbox-dhcp (images/) write two small JSON files under /run/lanbox at boot and
 * every minute; this module reads them on each /api/status request (as the `image` block). Off
 * the image (no files) there is no block: readImageStatus returns null.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** Where the image's boot helpers write (tmpfs). */
export const IMAGE_RUN_DIR = '/run/lanbox';
/** The files are a few hundred bytes; anything bigger is not theirs. */
const MAX_FILE_BYTES = 64 * 1024;
const MAX_ERRORS = 20;
const MAX_TEXT = 300;

export interface ImageStatus {
  state: 'ok' | 'degraded';
  summary: string;
  settingsFile: { path: string; present: boolean; applied: string[]; errors: string[] } | null;
  /** off | waiting | serving | refused | error, with the reason in words. */
  dhcp: { mode: string; serving: boolean; reason: string; checkedAt: string | null; otherServers: string[] } | null;
  hostname: string | null;
  address: string | null;
  ssh: string | null;
  /** Files that existed but could not be read or parsed. */
  unreadable: number;
}

type Json = Record<string, unknown>;

function readJson(path: string): { value: Json | null; unreadable: boolean } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { value: null, unreadable: false };
  }
  try {
    const size = Math.min(fstatSync(fd).size, MAX_FILE_BYTES + 1);
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, 0);
    if (n > MAX_FILE_BYTES) return { value: null, unreadable: true };
    const v: unknown = JSON.parse(buf.subarray(0, n).toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? { value: v as Json, unreadable: false } : { value: null, unreadable: true };
  } catch {
    return { value: null, unreadable: true };
  } finally {
    closeSync(fd);
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v.slice(0, MAX_TEXT) : null);
const texts = (v: unknown): string[] => (Array.isArray(v) ? v.slice(0, MAX_ERRORS).map((x) => String(x).slice(0, MAX_TEXT)) : []);

/** Reads the boot helpers' files from `dir`; null when neither exists (not the image). Never throws. */
export function readImageStatus(dir: string = IMAGE_RUN_DIR): ImageStatus | null {
  const setup = readJson(join(dir, 'box-status.json'));
  const dhcpFile = readJson(join(dir, 'dhcp-status.json'));
  const unreadable = Number(setup.unreadable) + Number(dhcpFile.unreadable);
  const s = setup.value;
  const sf = s !== null && typeof s.settingsFile === 'object' && s.settingsFile !== null ? (s.settingsFile as Json) : null;
  const settingsFile = sf === null ? null : { path: text(sf.path) ?? '', present: sf.present === true, applied: texts(sf.applied), errors: texts(sf.errors) };
  const d = dhcpFile.value;
  const dhcp =
    d === null
      ? null
      : {
          mode: text(d.mode) ?? 'unknown',
          serving: d.serving === true,
          reason: text(d.reason) ?? '',
          checkedAt: text(d.checkedAt),
          otherServers: texts(d.otherServers),
        };
  if (s === null && d === null && unreadable === 0) return null;
  const problems: string[] = [];
  if (settingsFile !== null && settingsFile.errors.length > 0)
    problems.push(`${settingsFile.errors.length} error${settingsFile.errors.length === 1 ? '' : 's'} in the settings file`);
  if (dhcp?.mode === 'error') problems.push(`DHCP server: ${dhcp.reason}`);
  if (unreadable > 0) problems.push('a status file is unreadable');
  const dhcpWords = dhcp === null ? 'DHCP guard not running' : dhcp.serving ? 'serving DHCP' : `DHCP server ${dhcp.mode}`;
  return {
    state: problems.length > 0 ? 'degraded' : 'ok',
    summary: problems.length > 0 ? `${problems.join('; ')}; ${dhcpWords}` : dhcpWords,
    settingsFile,
    dhcp,
    hostname: s === null ? null : text(s.hostname),
    address: s === null ? null : text(s.address),
    ssh: s === null ? null : text(s.ssh),
    unreadable,
  };
}

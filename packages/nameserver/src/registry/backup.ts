/**
 * Verified snapshots of the registry: `names-<ms>.json` (the export format) beside
 * `names-<ms>.json.sha256` in `sha256sum` format, so an operator can check one with
 * `sha256sum -c`. A snapshot is written to a temporary file, synced, renamed, read back and
 * checked before older ones are deleted, so a crash or a full disk never leaves no good copy.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeExport, encodeExport } from '../codec/export-file.js';
import type { NameRecord } from '../codec/record.js';

export interface BackupInfo {
  readonly file: string;
  /** Clock time (ms) of the snapshot. */
  readonly at: number;
  readonly names: number;
  readonly sha256: string;
}

const PATTERN = /^names-(\d{13,})\.json$/;
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function writeSynced(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function snapshots(dir: string): Promise<Array<{ file: string; at: number }>> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files
    .map((file) => ({ file, m: PATTERN.exec(file) }))
    .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ file: x.file, at: Number(x.m[1]) }))
    .sort((a, b) => b.at - a.at);
}

/** Reads one snapshot and checks it against its checksum; undefined if either is missing or they disagree. */
async function readVerified(dir: string, file: string): Promise<{ records: readonly NameRecord[]; sha256: string } | undefined> {
  try {
    const [data, sum] = await Promise.all([readFile(join(dir, file)), readFile(join(dir, `${file}.sha256`), 'utf8')]);
    const digest = sha256(data);
    if (sum.split(/\s/)[0] !== digest) return undefined;
    const decoded = decodeExport(data.toString('utf8'));
    return decoded.ok ? { records: decoded.value.records, sha256: digest } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a snapshot, verifies it, then deletes all but the newest `keep` verified ones. */
export async function writeBackup(dir: string, records: readonly NameRecord[], now: number, keep: number): Promise<BackupInfo> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const file = `names-${String(now).padStart(13, '0')}.json`;
  const text = JSON.stringify(encodeExport(records, now));
  const digest = sha256(text);
  try {
    await writeSynced(join(dir, file), text);
    await writeSynced(join(dir, `${file}.sha256`), `${digest}  ${file}\n`);
    await syncDir(dir);
  } catch (error) {
    await rm(join(dir, `${file}.tmp`), { force: true }).catch(() => undefined);
    await rm(join(dir, `${file}.sha256.tmp`), { force: true }).catch(() => undefined);
    throw error;
  }
  const check = await readVerified(dir, file);
  if (check === undefined || check.records.length !== records.length) throw new Error(`backup ${file} did not read back intact`);
  const older = (await snapshots(dir)).filter((s) => s.file !== file);
  let kept = 1;
  for (const s of older) {
    if (kept < keep && (await readVerified(dir, s.file)) !== undefined) {
      kept += 1;
      continue;
    }
    await rm(join(dir, s.file), { force: true });
    await rm(join(dir, `${s.file}.sha256`), { force: true });
  }
  return { file, at: now, names: records.length, sha256: digest };
}

/** The newest snapshot that passes its checksum, and how many newer ones did not. */
export async function readLatestBackup(
  dir: string,
): Promise<{ info: BackupInfo; records: readonly NameRecord[]; skipped: number } | { info: null; skipped: number }> {
  let skipped = 0;
  for (const s of await snapshots(dir)) {
    const verified = await readVerified(dir, s.file);
    if (verified === undefined) {
      skipped += 1;
      continue;
    }
    return { info: { file: s.file, at: s.at, names: verified.records.length, sha256: verified.sha256 }, records: verified.records, skipped };
  }
  return { info: null, skipped };
}

/**
 * Opening a LevelDB directory that may be damaged, without ever making things worse: a damaged
 * store is first copied aside, then rebuilt by LevelDB's own repairer, and only recreated empty
 * when that fails too. A full disk is not damage (nothing is touched), and another process
 * holding the lock is an error of its own.
 */
import { cp, mkdir, readdir, rm, statfs, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ClassicLevel } from 'classic-level';

export type StringLevel = ClassicLevel<string, string>;

/** What happened when a damaged store was opened. */
export interface DamageReport {
  /** Clock time (ms) the damage was found. */
  readonly detectedAt: number;
  /** LevelDB's (or our check's) description of the damage. */
  readonly error: string;
  /** Where the damaged files were copied before anything was changed. */
  readonly copy: string;
  /** `repaired`: LevelDB's repairer salvaged what it could; `recreated`: nothing could be read, the store starts empty. */
  readonly action: 'repaired' | 'recreated';
}

export interface OpenedStore {
  readonly db: StringLevel;
  readonly damage: DamageReport | null;
}

/** Another process holds the store's lock (a second lanbox on the same data dir). */
export class StoreLockedError extends Error {
  readonly code = 'STORE_LOCKED';
  constructor(readonly dir: string) {
    super(`the store ${dir} is in use by another process (is another lanbox running?)`);
    this.name = 'StoreLockedError';
  }
}

/** The store cannot be opened right now for a reason that is not damage (full disk, I/O error while copying). */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

export interface LevelStoreOptions {
  /** The LevelDB directory (created if missing). */
  readonly dir: string;
  /** Copies of damaged stores go under this directory, as `<name>-<time>`. */
  readonly damagedDir: string;
  readonly now: () => number;
  /**
   * Reads the whole store after opening and throws if it finds damage LevelDB did not report
   * (unreadable blocks surface only when read). @default reads nothing
   */
  readonly verify?: (db: StringLevel) => Promise<void>;
  /** Repair even if the store opens (the operator's repair action). @default false */
  readonly forceRepair?: boolean;
}

const levelCode = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;
const describe = (error: unknown): string => {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = error instanceof Error ? error.message : String(error);
  return cause instanceof Error && cause.message !== text ? `${text}: ${cause.message}` : text;
};

/** LevelDB says "IO error: ...: No space left on device"; that is not damage and must not trigger repair. */
export function isNoSpace(error: unknown): boolean {
  return /No space left|ENOSPC|Disk quota/i.test(describe(error));
}

function isLocked(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return levelCode(cause) === 'LEVEL_LOCKED' || levelCode(error) === 'LEVEL_LOCKED';
}

/** LevelDB creates an empty store when CURRENT is missing and then deletes the old tables; never let it. */
async function missingCurrent(dir: string): Promise<boolean> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return false;
  }
  const hasData = files.some((f) => f.endsWith('.ldb') || f.endsWith('.sst') || f.endsWith('.log') || f.startsWith('MANIFEST-'));
  return hasData && !files.includes('CURRENT');
}

async function attempt(dir: string, verify: LevelStoreOptions['verify']): Promise<StringLevel> {
  const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' });
  await db.open();
  try {
    await verify?.(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}

/** Free bytes on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Total size of the files directly in `dir` whose name ends with `suffix`. */
export async function sizeOf(dir: string, suffix: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (f.endsWith(suffix)) total += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** Copies `dir` to `<damagedDir>/<name>-<time>` before anything repairs it. */
export async function keepCopy(dir: string, damagedDir: string, now: number): Promise<string> {
  await mkdir(damagedDir, { recursive: true, mode: 0o750 });
  const copy = join(damagedDir, `${basename(dir)}-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
  try {
    await cp(dir, copy, { recursive: true, errorOnExist: true, force: false });
  } catch (error) {
    await rm(copy, { recursive: true, force: true }).catch(() => undefined);
    throw new StoreUnavailableError(`the store ${dir} is damaged and could not be copied aside before repair (${describe(error)}); it was left as it is`);
  }
  return copy;
}

/**
 * Opens (creating if missing) the store in `options.dir`. Damage is repaired after a copy is kept;
 * a full disk or a failed copy throws `StoreUnavailableError` with the files untouched; a held
 * lock throws `StoreLockedError`.
 */
export async function openLevelStore(options: LevelStoreOptions): Promise<OpenedStore> {
  const { dir, verify } = options;
  await mkdir(dir, { recursive: true, mode: 0o750 });
  let problem: string | null =
    options.forceRepair === true
      ? 'repair requested by the operator'
      : (await missingCurrent(dir))
        ? 'CURRENT is missing (LevelDB would start empty and delete the tables)'
        : null;
  if (problem === null) {
    try {
      return { db: await attempt(dir, verify), damage: null };
    } catch (error) {
      if (isLocked(error)) throw new StoreLockedError(dir);
      if (isNoSpace(error)) throw new StoreUnavailableError(`the store ${dir} cannot be opened: ${describe(error)}`);
      problem = describe(error);
    }
  }
  const detectedAt = options.now();
  const copy = await keepCopy(dir, options.damagedDir, detectedAt);
  try {
    await ClassicLevel.repair(dir);
    return { db: await attempt(dir, verify), damage: { detectedAt, error: problem, copy, action: 'repaired' } };
  } catch (error) {
    if (isNoSpace(error)) throw new StoreUnavailableError(`the store ${dir} is damaged and cannot be repaired now: ${describe(error)}`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o750 });
  return { db: await attempt(dir, undefined), damage: { detectedAt, error: problem, copy, action: 'recreated' } };
}

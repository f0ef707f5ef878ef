/**
 * The appliance's one LevelDB under the data dir. Each service gets its own sublevel, so there
 * is one lock (a second appliance on the same data dir fails at start instead of corrupting it)
 * and one place to flush on shutdown.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';

export interface Storage {
  /** The root database (string keys and values); services that take a db make their own sublevel. */
  readonly root: Level<string, string>;
  /** A string-valued sublevel for a service that takes a plain key-value store (`dht`, `turn`…). */
  sublevel(name: string): StringDb;
  close(): Promise<void>;
  readonly path: string;
}

/** The part of abstract-level the services use, with string keys and values. */
export interface StringDb {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

export class StorageLockedError extends Error {
  readonly code = 'STORAGE_LOCKED';
  constructor(path: string) {
    super(`the data dir database ${path} is in use by another process (is another lanbox running?)`);
    this.name = 'StorageLockedError';
  }
}

export async function openStorage(dataDir: string): Promise<Storage> {
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  const path = join(dataDir, 'db');
  const db = new Level<string, string>(path, { valueEncoding: 'utf8' });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new StorageLockedError(path);
    throw err;
  }
  return {
    path,
    root: db,
    sublevel: (name) => db.sublevel<string, string>(name, { valueEncoding: 'utf8' }),
    close: () => db.close(),
  };
}

import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { validateSummary, type PersistedSummary, type SummaryStore } from './summary-store.js';

/** The summary is a few hundred bytes per server; anything far larger is not ours. */
const MAX_FILE_BYTES = 1 << 20;

/**
 * A JSON file store. Saving writes a temporary file beside the target, fsyncs it, renames it over
 * the target and fsyncs the directory, so a power cut (the box has no shutdown button) leaves
 * either the old or the new file, never a torn one.
 */
export function createFileStore(path: string): SummaryStore {
  return {
    async load() {
      let text: string;
      try {
        const buf = await readFile(path);
        if (buf.length > MAX_FILE_BYTES) return undefined;
        text = buf.toString('utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      try {
        return validateSummary(JSON.parse(text));
      } catch {
        return undefined;
      }
    },
    async save(summary: PersistedSummary) {
      const temp = `${path}.${process.pid}.tmp`;
      const file = await open(temp, 'w', 0o644);
      try {
        await file.writeFile(JSON.stringify(summary));
        await file.sync();
      } finally {
        await file.close();
      }
      try {
        await rename(temp, path);
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        throw e;
      }
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    },
  };
}

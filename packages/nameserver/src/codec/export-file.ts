import { decodeRecord, type NameRecord } from './record.js';
import { err, ok, type Result } from './result.js';

export const EXPORT_FORMAT = 'lanbox-nameserver';
export const EXPORT_VERSION = 1;

/** What `exportNames()` returns and `importNames()` takes (as an object or as its JSON text). */
export interface NameExport {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: typeof EXPORT_VERSION;
  /** Clock time (ms) of the export. */
  readonly exportedAt: number;
  readonly names: readonly NameRecord[];
}

export interface DecodedExport {
  readonly records: readonly NameRecord[];
  /** Entries whose shape was wrong; they are skipped and reported. */
  readonly malformed: number;
}

export function encodeExport(names: readonly NameRecord[], exportedAt: number): NameExport {
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt, names };
}

/** Decodes an export file; bad entries are counted, a bad envelope is an error. */
export function decodeExport(input: unknown): Result<DecodedExport, 'invalid export'> {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return err('invalid export');
    }
  }
  if (typeof value !== 'object' || value === null) return err('invalid export');
  const v = value as Record<string, unknown>;
  const names = v['names'];
  if (v['format'] !== EXPORT_FORMAT || v['version'] !== EXPORT_VERSION || !Array.isArray(names)) return err('invalid export');
  const records: NameRecord[] = [];
  let malformed = 0;
  for (const entry of names) {
    const record = decodeRecord(entry);
    if (record.ok) records.push(record.value);
    else malformed += 1;
  }
  return ok({ records, malformed });
}

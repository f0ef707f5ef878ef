import type { AbstractBatchOptions, AbstractLevel, AbstractSublevel } from 'abstract-level';
import { decodeStoredRecord, encodeRecord, type NameRecord } from '../codec/record.js';
import { RECENT_NAMES, type RecentName, type Registry } from './registry.js';

/**
 * Any abstract-level database with string keys and values: the appliance passes a `ClassicLevel`
 * opened under its data dir, tests a `MemoryLevel`.
 */
export type NameDatabase = AbstractLevel<string | Buffer | Uint8Array, string, string>;

type Sub = AbstractSublevel<NameDatabase, string | Buffer | Uint8Array, string, string>;

/**
 * `sync: true` makes LevelDB fsync its log before the write resolves, so an acknowledged
 * registration survives power loss, not only a crash of the process. Other backends ignore it.
 */
const DURABLE: AbstractBatchOptions<string, string> & { readonly sync: boolean } = { sync: true };

/**
 * Registry on level: sublevel `nameserver` holds `names` (name → record JSON) and `addrs`
 * (addr → name). Both are written in one batch so the index never disagrees with the records.
 */
export function createLevelRegistry(db: NameDatabase): Registry {
  const root = db.sublevel<string, string>('nameserver', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const names: Sub = root.sublevel<string, string>('names', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const addrs: Sub = root.sublevel<string, string>('addrs', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  let count = 0;
  let corrupt = 0;
  let latest: RecentName[] = [];
  // Keeps the newest RECENT_NAMES by registration time; open() sees every record once anyway.
  const consider = (r: NameRecord) => {
    const last = latest[latest.length - 1];
    if (latest.length >= RECENT_NAMES && last !== undefined && r.registeredAt <= last.registeredAt) return;
    latest = [...latest.filter((x) => x.name !== r.name), { name: r.name, addr: r.addr, registeredAt: r.registeredAt }]
      .sort((a, b) => b.registeredAt - a.registeredAt)
      .slice(0, RECENT_NAMES);
  };

  return {
    async open() {
      let n = 0;
      let bad = 0;
      latest = [];
      for await (const value of names.values()) {
        const record = decodeStoredRecord(value);
        if (record.ok) {
          n += 1;
          consider(record.value);
        } else bad += 1;
      }
      count = n;
      corrupt = bad;
    },

    async getByName(name) {
      const stored = await names.get(name);
      if (stored === undefined) return undefined;
      const record = decodeStoredRecord(stored);
      if (record.ok) return record.value;
      corrupt += 1;
      return undefined;
    },

    async getNameByAddr(addr) {
      return addrs.get(addr);
    },

    async insert(records) {
      if (records.length === 0) return;
      const ops = records.flatMap((record) => [
        { type: 'put' as const, sublevel: names, key: record.name, value: encodeRecord(record) },
        { type: 'put' as const, sublevel: addrs, key: record.addr, value: record.name },
      ]);
      await db.batch(ops, DURABLE);
      count += records.length;
      for (const r of records) consider(r);
    },

    async remove(name) {
      const stored = await names.get(name);
      if (stored === undefined) return undefined;
      const record = decodeStoredRecord(stored);
      const ops: Array<{ type: 'del'; sublevel: Sub; key: string }> = [{ type: 'del', sublevel: names, key: name }];
      if (record.ok) ops.push({ type: 'del', sublevel: addrs, key: record.value.addr });
      await db.batch(ops, DURABLE);
      if (record.ok) count -= 1;
      else corrupt = Math.max(0, corrupt - 1);
      latest = latest.filter((x) => x.name !== name);
      return record.ok ? record.value : undefined;
    },

    count: () => count,

    async *list() {
      for await (const value of names.values()) {
        const record = decodeStoredRecord(value);
        if (record.ok) yield record.value;
      }
    },

    corrupt: () => corrupt,
    recent: () => latest,
  };
}

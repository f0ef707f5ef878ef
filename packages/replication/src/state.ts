/** What replication keeps on disk beside the registry: known boxes, removals, losing records. */
import type { NameDatabase } from '@lanbox/nameserver';
import { decodeTombstone, decodeWireRecord, type Tombstone, type WireRecord } from './codec/wire.js';

export interface StoredPeer {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly lastSync: number | null;
}

/** A record this box acknowledged (or held) that lost to another claim; kept for the operator. */
export interface Conflict {
  readonly name: string;
  /** The losing record, whole. */
  readonly lost: WireRecord;
  /** Who holds the name (or the Jami ID) now. */
  readonly winner: { readonly name: string; readonly addr: string; readonly origin: string | null; readonly registeredAt: number; readonly confirmed: boolean };
  /** When this box resolved it (its clock, ms). */
  readonly resolvedAt: number;
}

export interface ReplicationState {
  peers(): Promise<StoredPeer[]>;
  putPeer(peer: StoredPeer): Promise<void>;
  tombstones(): Promise<Tombstone[]>;
  putTombstone(t: Tombstone): Promise<void>;
  conflicts(): Promise<Conflict[]>;
  putConflict(c: Conflict): Promise<void>;
}

/** LevelDB fsyncs its log before resolving (other backends ignore the option). */
const DURABLE = { sync: true } as unknown as Record<string, never>;

export function createLevelState(db: NameDatabase): ReplicationState {
  const root = db.sublevel<string, string>('replication', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const peers = root.sublevel<string, string>('peers', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const tombstones = root.sublevel<string, string>('tombstones', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const conflicts = root.sublevel<string, string>('conflicts', { keyEncoding: 'utf8', valueEncoding: 'utf8' });

  async function all<T>(sub: typeof peers, decode: (v: unknown) => T | undefined): Promise<T[]> {
    const out: T[] = [];
    for await (const text of sub.values()) {
      try {
        const v = decode(JSON.parse(text));
        if (v !== undefined) out.push(v);
      } catch {
        // An unreadable entry is skipped: it is state we can rebuild from the other boxes.
      }
    }
    return out;
  }

  return {
    peers: () =>
      all(peers, (v) => {
        const p = v as Partial<StoredPeer>;
        return typeof p.id === 'string' && typeof p.host === 'string' && typeof p.port === 'number'
          ? { id: p.id, host: p.host, port: p.port, lastSync: typeof p.lastSync === 'number' ? p.lastSync : null }
          : undefined;
      }),
    putPeer: (p) => peers.put(p.id, JSON.stringify(p)),
    tombstones: () =>
      all(tombstones, (v) => {
        const t = decodeTombstone(v);
        return t.ok ? t.value : undefined;
      }),
    putTombstone: (t) => tombstones.put(`${t.name}/${t.addr}`, JSON.stringify(t), DURABLE),
    conflicts: () =>
      all(conflicts, (v) => {
        const c = v as Partial<Conflict>;
        const lost = decodeWireRecord(c.lost);
        return lost.ok && typeof c.name === 'string' && typeof c.resolvedAt === 'number' && typeof c.winner === 'object' ? (c as Conflict) : undefined;
      }),
    putConflict: (c) => conflicts.put(`${c.lost.name}/${c.lost.addr}`, JSON.stringify(c), DURABLE),
  };
}

/** State kept in memory only: for tests, and for a box whose replication store cannot open. */
export function createMemoryState(): ReplicationState {
  const peers = new Map<string, StoredPeer>();
  const tombstones = new Map<string, Tombstone>();
  const conflicts = new Map<string, Conflict>();
  return {
    peers: async () => [...peers.values()],
    putPeer: async (p) => void peers.set(p.id, p),
    tombstones: async () => [...tombstones.values()],
    putTombstone: async (t) => void tombstones.set(`${t.name}/${t.addr}`, t),
    conflicts: async () => [...conflicts.values()],
    putConflict: async (c) => void conflicts.set(`${c.lost.name}/${c.lost.addr}`, c),
  };
}

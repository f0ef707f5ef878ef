/**
 * What survives a restart (node id and a routing cache of good nodes per family), stored in an
 * abstract-level database so that a restarted box rejoins at once under the same id.
 */
import type { Family } from '../codec/types.js';
import type { DhtDb } from '../node-types.js';

const ID_KEY = 'dht:node-id';
const CACHE_KEY = 'dht:routing-cache';
/** Nodes kept per family: enough to rejoin, small enough to write often. */
export const MAX_CACHED_NODES = 64;

export interface CachedNode {
  id: string;
  address: string;
  port: number;
}

export interface PersistedState {
  id: string | null;
  nodes: { 4: CachedNode[]; 6: CachedNode[] };
}

function validNode(n: unknown): n is CachedNode {
  if (typeof n !== 'object' || n === null) return false;
  const r = n as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    /^[0-9a-f]{40}$/.test(r.id) &&
    typeof r.address === 'string' &&
    typeof r.port === 'number' &&
    Number.isInteger(r.port) &&
    r.port > 0 &&
    r.port < 65536
  );
}

/** Read the state; anything missing or corrupt reads as empty (a fresh node). */
export async function loadState(db: DhtDb): Promise<PersistedState> {
  const state: PersistedState = { id: null, nodes: { 4: [], 6: [] } };
  const id = await db.get(ID_KEY);
  if (typeof id === 'string' && /^[0-9a-f]{40}$/.test(id)) state.id = id;
  const cache = await db.get(CACHE_KEY);
  if (typeof cache === 'string') {
    try {
      const parsed = JSON.parse(cache) as Record<string, unknown>;
      for (const family of [4, 6] as Family[]) {
        const list = parsed[String(family)];
        if (Array.isArray(list)) state.nodes[family] = list.filter(validNode).slice(0, MAX_CACHED_NODES);
      }
    } catch {
      // A corrupt cache only costs a slower rejoin.
    }
  }
  return state;
}

export async function saveId(db: DhtDb, id: string): Promise<void> {
  await db.put(ID_KEY, id);
}

export async function saveRoutingCache(db: DhtDb, nodes: { 4: CachedNode[]; 6: CachedNode[] }): Promise<void> {
  await db.put(CACHE_KEY, JSON.stringify({ 4: nodes[4].slice(0, MAX_CACHED_NODES), 6: nodes[6].slice(0, MAX_CACHED_NODES) }));
}

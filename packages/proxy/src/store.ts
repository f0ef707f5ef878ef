/**
 * What the proxy keeps in level so a restart or a power cut keeps every phone reachable:
 * push subscriptions and permanent puts, one JSON record each. Unreadable records are skipped
 * (and counted by the caller through what is missing), never fatal.
 */
import { decodeValue, type Value } from '@lanbox/dht';
import type { PutPush } from './codec/value-json.js';
import type { ProxyDb } from './options.js';

export interface StoredSubscription {
  token: string;
  key: string;
  clientId: string;
  sessionId: string;
  platform: string;
  topic: string;
  address: string;
  expiresAt: number;
  pushAt: number;
  refreshPushed: boolean;
}

export interface StoredPut {
  key: string;
  id: string;
  /** The value's msgpack bytes, base64. */
  packed: string;
  address: string;
  expiresAt: number;
  pushAt: number;
  refreshPushed: boolean;
  push?: PutPush;
}

export const subscriptionRecord = (s: StoredSubscription): [string, string] => [`sub:${JSON.stringify([s.key, s.clientId, s.token])}`, JSON.stringify(s)];
export const putRecord = (p: StoredPut): [string, string] => [`put:${p.key}:${p.id}`, JSON.stringify(p)];

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

export async function loadState(db: ProxyDb): Promise<{ subscriptions: StoredSubscription[]; puts: Array<StoredPut & { value: Value }>; unreadable: number }> {
  const subscriptions: StoredSubscription[] = [];
  const puts: Array<StoredPut & { value: Value }> = [];
  let unreadable = 0;
  for await (const [k, v] of db.iterator()) {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(v) as Record<string, unknown>;
    } catch {
      unreadable++;
      continue;
    }
    if (k.startsWith('sub:')) {
      if (
        [r.token, r.key, r.clientId, r.sessionId, r.platform, r.topic, r.address].every(isStr) &&
        isNum(r.expiresAt) &&
        isNum(r.pushAt) &&
        /^[0-9a-f]{40}$/.test(r.key as string)
      ) {
        subscriptions.push({ ...(r as unknown as StoredSubscription), refreshPushed: r.refreshPushed === true });
      } else unreadable++;
    } else if (k.startsWith('put:')) {
      const decoded = isStr(r.packed) ? decodeValue(new Uint8Array(Buffer.from(r.packed, 'base64'))) : null;
      if (decoded?.ok === true && isStr(r.key) && /^[0-9a-f]{40}$/.test(r.key) && isStr(r.address) && isNum(r.expiresAt) && isNum(r.pushAt)) {
        const p = r as unknown as StoredPut;
        puts.push({ ...p, refreshPushed: r.refreshPushed === true, value: decoded.value });
      } else unreadable++;
    }
  }
  return { subscriptions, puts, unreadable };
}

/** Builders shared by the storage tests: a settable clock, plain and signed values, subscribers. */

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encodeValueBodyToSign, makeValue } from '../src/codec/value.js';
import { sha1 } from '../src/codec/infohash.js';
import type { InfoHash, Query, Value, ValueBody } from '../src/codec/types.js';
import { createStorage, type Notification, type StorageOptions, type Subscriber, type ValueStore } from '../src/storage/index.js';
import { createDelivery } from '../src/storage/subscriptions.js';

export const MINUTE = 60_000;
export const START = 1_700_000_000_000;

export function testClock(start = START): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export function setup(options: StorageOptions = {}) {
  const clock = testClock();
  const storage = createStorage(options, { clock });
  return { clock, storage };
}

export const key = (name: string): InfoHash => sha1(name);

export function plain(id: bigint, data: string, extra: Partial<ValueBody> = {}): Value {
  return makeValue({ id, body: { type: 0, data: new TextEncoder().encode(data), ...extra } });
}

export interface Signer {
  spki: Uint8Array;
  keyId: Uint8Array;
  privateKey: KeyObject;
}

export function newSigner(): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  return { spki, keyId: sha1(spki), privateKey };
}

export function signed(signer: Signer, id: bigint, seq: number, data: string, extra: Partial<ValueBody> = {}): Value {
  const body: ValueBody = { seq, owner: signer.spki, type: 0, data: new TextEncoder().encode(data), ...extra };
  const signature = new Uint8Array(sign('sha512', encodeValueBodyToSign(body), signer.privateKey));
  return makeValue({ id, body, signature });
}

let nodeCounter = 0;
export function subscriber(socketId = 1, query?: Query, node?: InfoHash): Subscriber {
  return {
    node: node ?? sha1(`listener-${nodeCounter++}`),
    address: '192.0.2.10',
    port: 4222,
    family: 4,
    socketId,
    version: 1,
    ...(query ? { query } : {}),
  };
}

export const ids = (values: Value[]): bigint[] => values.map((v) => v.id);

/** The remote subscribers told of a change (local ones are left out). */
export function remote(notifications: Notification[]): Array<Notification & { subscriber: Subscriber }> {
  return notifications.filter((n): n is Notification & { subscriber: Subscriber } => 'subscriber' in n);
}

let probeId = 1n << 60n;
/**
 * Remote subscriptions on `k` that take every value: a fresh value put there reaches each of them
 * (the put itself stays, which the callers allow for).
 */
export function listenersOn(storage: ValueStore, k: InfoHash): number {
  probeId++;
  return remote(storage.put(k, plain(probeId, 'probe'), { source: '198.51.100.250' }).notifications).length;
}

/** Delivers notifications as the node does: local listeners called, remote ones collected. */
export function delivery(): { deliver: (list: Notification[]) => void; sent: Notification[]; errors: unknown[] } {
  const sent: Notification[] = [];
  const errors: unknown[] = [];
  return {
    deliver: createDelivery(
      (list) => sent.push(...list),
      (err) => errors.push(err),
    ),
    sent,
    errors,
  };
}

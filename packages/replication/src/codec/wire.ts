/**
 * The box-to-box messages (JSON over HTTP on the web port). Every decoder is total: any parsed
 * JSON value gives a typed message or an error string, and lists are bounded before they are read.
 * Records travel exactly as the registering client sent them (name, key, signature) plus what the
 * acknowledging box added (time, origin box, confirmed), so the receiver can check them itself.
 */
import type { NameRecord } from '@lanbox/nameserver';
import { err, ok, type Result } from './result.js';

/** A registration as replicated between boxes. */
export interface WireRecord {
  readonly name: string;
  /** Jami ID, 40 lowercase hex. */
  readonly addr: string;
  readonly owner: string;
  /** Base64 PEM of the account key, verbatim from the client. */
  readonly publickey: string;
  /** Base64 signature over the name, verbatim from the client. */
  readonly signature: string;
  /** Clock of the acknowledging box (ms). */
  readonly registeredAt: number;
  /** Acknowledging box (40 hex); absent for registrations made before replication. */
  readonly origin?: string;
  /** Every box known to the acknowledging box accepted it first; absent means true (a lone box). */
  readonly confirmed?: boolean;
}

/** The registry's record as it travels: the fields a receiver needs to check and place it, no more. */
export function toWire(r: NameRecord): WireRecord {
  const { name, addr, owner, publickey, signature, registeredAt, origin, confirmed } = r;
  return {
    name,
    addr,
    owner,
    publickey,
    signature,
    registeredAt,
    ...(origin !== undefined ? { origin } : {}),
    ...(confirmed !== undefined ? { confirmed } : {}),
  };
}

/** An operator removal, authenticated with the site key. */
export interface Tombstone {
  readonly name: string;
  /** The removed record's Jami ID: a later registration of the name by someone else is untouched. */
  readonly addr: string;
  /** Removes records of (name, addr) registered at or before this time (ms). */
  readonly removedAt: number;
  /** HMAC-SHA256 (hex) with the site operator key, see `tombstoneMac`. */
  readonly mac: string;
}

export interface Hello {
  readonly box: string;
  readonly webPort: number;
  /** The box's DHT port, so that peers bootstrap their DHT from it. */
  readonly dhtPort: number | null;
  /** XOR of every entry digest (hex) and the entry count: equal means nothing to do. */
  readonly root: string;
  readonly count: number;
}

const NAME = /^[a-z0-9_-]{3,32}$/;
const HEX40 = /^[0-9a-f]{40}$/;
const DIGEST = /^[0-9a-f]{16}$/;
const B64 = /^[A-Za-z0-9+/=]+$/;
/** A 16384-bit key's PEM in base64 is under 4 kB. */
const MAX_FIELD = 8192;

export const BUCKETS = 256;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function b64(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD && B64.test(v);
}

export function decodeWireRecord(v: unknown): Result<WireRecord> {
  if (!isObject(v)) return err('record is not an object');
  const { name, addr, owner, publickey, signature, registeredAt, origin, confirmed } = v;
  if (typeof name !== 'string' || !NAME.test(name)) return err('invalid name');
  if (typeof addr !== 'string' || !HEX40.test(addr)) return err('invalid addr');
  if (typeof owner !== 'string' || !HEX40.test(owner)) return err('invalid owner');
  if (!b64(publickey) || !b64(signature)) return err('invalid key or signature field');
  if (typeof registeredAt !== 'number' || !Number.isSafeInteger(registeredAt) || registeredAt < 0) return err('invalid registeredAt');
  if (origin !== undefined && (typeof origin !== 'string' || !HEX40.test(origin))) return err('invalid origin');
  if (confirmed !== undefined && typeof confirmed !== 'boolean') return err('invalid confirmed');
  return ok({
    name,
    addr,
    owner,
    publickey,
    signature,
    registeredAt,
    ...(origin !== undefined ? { origin } : {}),
    ...(confirmed !== undefined ? { confirmed } : {}),
  });
}

export function decodeTombstone(v: unknown): Result<Tombstone> {
  if (!isObject(v)) return err('tombstone is not an object');
  const { name, addr, removedAt, mac } = v;
  if (typeof name !== 'string' || !NAME.test(name)) return err('invalid name');
  if (typeof addr !== 'string' || !HEX40.test(addr)) return err('invalid addr');
  if (typeof removedAt !== 'number' || !Number.isSafeInteger(removedAt) || removedAt < 0) return err('invalid removedAt');
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return err('invalid mac');
  return ok({ name, addr, removedAt, mac });
}

export function decodeHello(v: unknown): Result<Hello> {
  if (!isObject(v)) return err('hello is not an object');
  const { box, webPort, dhtPort, root, count } = v;
  if (typeof box !== 'string' || !HEX40.test(box)) return err('invalid box');
  if (!isPort(webPort)) return err('invalid webPort');
  if (dhtPort !== null && !isPort(dhtPort)) return err('invalid dhtPort');
  if (typeof root !== 'string' || !DIGEST.test(root)) return err('invalid root');
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return err('invalid count');
  return ok({ box, webPort, dhtPort, root, count });
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 0xffff;
}

/** `{"buckets": [256 × digest hex]}` */
export function decodeBuckets(v: unknown): Result<readonly string[]> {
  if (!isObject(v) || !Array.isArray(v['buckets']) || v['buckets'].length !== BUCKETS) return err('invalid buckets');
  const buckets = v['buckets'] as unknown[];
  if (!buckets.every((b) => typeof b === 'string' && DIGEST.test(b))) return err('invalid bucket digest');
  return ok(buckets as string[]);
}

/** `{"entries": [[key, digest], …]}` with at most `max` entries. Keys are `name` or `name/addr`. */
export function decodeEntries(v: unknown, max: number): Result<ReadonlyArray<readonly [string, string]>> {
  if (!isObject(v) || !Array.isArray(v['entries'])) return err('invalid entries');
  const entries = v['entries'] as unknown[];
  if (entries.length > max) return err('too many entries');
  const out: Array<readonly [string, string]> = [];
  for (const e of entries) {
    if (!Array.isArray(e) || e.length !== 2) return err('invalid entry');
    const [key, digest] = e as unknown[];
    if (!isKey(key) || typeof digest !== 'string' || !DIGEST.test(digest)) return err('invalid entry');
    out.push([key, digest]);
  }
  return ok(out);
}

export function isKey(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 73) return false;
  const slash = v.indexOf('/');
  if (slash < 0) return NAME.test(v);
  return NAME.test(v.slice(0, slash)) && HEX40.test(v.slice(slash + 1));
}

/** `{"keys": [key, …]}` with at most `max` keys. */
export function decodeKeys(v: unknown, max: number): Result<readonly string[]> {
  if (!isObject(v) || !Array.isArray(v['keys'])) return err('invalid keys');
  const keys = v['keys'] as unknown[];
  if (keys.length > max) return err('too many keys');
  if (!keys.every(isKey)) return err('invalid key');
  return ok(keys as string[]);
}

/** Records and tombstones as sent by a push or a fetch answer; each one decoded on its own. */
export interface Batch {
  readonly records: readonly unknown[];
  readonly tombstones: readonly unknown[];
}

export function decodeBatch(v: unknown, max: number): Result<Batch> {
  if (!isObject(v)) return err('batch is not an object');
  const records = v['records'] ?? [];
  const tombstones = v['tombstones'] ?? [];
  if (!Array.isArray(records) || !Array.isArray(tombstones)) return err('invalid batch');
  if (records.length + tombstones.length > max) return err('batch too large');
  return ok({ records, tombstones });
}

/** `{"record": {...}}` of a reservation request. */
export function decodeReserve(v: unknown): Result<unknown> {
  if (!isObject(v) || !isObject(v['record'])) return err('invalid reservation');
  return ok(v['record']);
}

/** JSON text → value, or an error (never throws). */
export function parseJson(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return err('invalid JSON');
  }
}

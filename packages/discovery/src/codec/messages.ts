/**
 * Peer-discovery datagrams: the query `"q"` and announcements (a map service name → value),
 * plus the values of the two services we understand, `dht` and `jami`.
 */
import { decodeMsgpack, MsgWriter, type MsgValue } from './msgpack.js';
import { fail, ok, type Result } from './result.js';

/** Length of an OpenDHT InfoHash (node id, account id). */
export const HASH_LENGTH = 20;

/** Service names used on the wire. */
export const DHT_SERVICE = 'dht';
export const JAMI_SERVICE = 'jami';
/**
 * lanbox boxes announce themselves to each other under this name. OpenDHT's receivers look every
 * key of the map up in their table of registered services and skip the ones they do not know, so
 * `dhtnode -D` and jamid ignore this entry and still read the `dht` entry of the same datagram.
 */
export const LANBOX_SERVICE = 'lanbox';

/** One entry of an announcement, value still undecoded (unknown services are skipped). */
export interface ServiceEntry {
  readonly name: string;
  readonly value: MsgValue;
}

export type DiscoveryMessage = { readonly type: 'query' } | { readonly type: 'announcement'; readonly services: readonly ServiceEntry[] };

/** Value of the `dht` service: where the sender's DHT node listens. */
export interface DhtService {
  /** 20-byte node id. */
  readonly nodeId: Uint8Array;
  /** DHT UDP port (the datagram's source port is the discovery port, not this one). */
  readonly port: number;
  readonly networkId: number;
}

/** Value of the `jami` service: a Jami account announcing itself. */
export interface JamiService {
  /** 20-byte account id (the account's public key id). */
  readonly accountId: Uint8Array;
  readonly displayName: string;
}

/** Value of the `lanbox` service: another box, and the port its web server (and registry replication) listens on. */
export interface BoxService {
  /** 20-byte box id (the box's DHT node id). */
  readonly boxId: Uint8Array;
  /** TCP port of the box's web server. */
  readonly webPort: number;
}

const QUERY_BYTES = Uint8Array.of(0xa1, 0x71);

/** Decodes one datagram. Map entries with non-string keys are skipped, as OpenDHT does. */
export function decodeMessage(bytes: Uint8Array): Result<DiscoveryMessage> {
  const decoded = decodeMsgpack(bytes);
  if (!decoded.ok) return decoded;
  const value = decoded.value;
  if (typeof value === 'string') {
    return value === 'q' ? ok({ type: 'query' }) : fail('unknown-string', `string of length ${value.length}`);
  }
  if (isMap(value)) {
    const services: ServiceEntry[] = [];
    for (const [name, v] of value.entries) if (typeof name === 'string') services.push({ name, value: v });
    return ok({ type: 'announcement', services });
  }
  return fail('unexpected-type', describe(value));
}

/**
 * Decodes `[node id: bin(20), port: uint, network id: uint]`. Like msgpack-c's struct-as-array
 * conversion, extra elements are ignored and a missing network id defaults to 0; a missing port
 * is rejected because a node cannot be contacted on port 0.
 */
export function decodeDhtService(value: MsgValue): Result<DhtService> {
  if (!Array.isArray(value)) return fail('invalid-service', `dht: ${describe(value)} instead of array`);
  const [nodeId, port, networkId = 0] = value;
  if (!isHash(nodeId)) return fail('invalid-service', 'dht: node id is not bin(20)');
  if (!isUint(port, 0xffff) || port === 0) return fail('invalid-service', 'dht: port is not a uint16 > 0');
  if (!isUint(networkId, 0xffffffff)) return fail('invalid-service', 'dht: network id is not a uint32');
  return ok({ nodeId, port, networkId });
}

/**
 * Decodes `[account id: bin(20), display name: str]`. A missing name is empty; a bin name is
 * accepted, since msgpack-c converts bin to std::string too.
 */
export function decodeJamiService(value: MsgValue): Result<JamiService> {
  if (!Array.isArray(value)) return fail('invalid-service', `jami: ${describe(value)} instead of array`);
  const [accountId, name = ''] = value;
  if (!isHash(accountId)) return fail('invalid-service', 'jami: account id is not bin(20)');
  if (typeof name === 'string') return ok({ accountId, displayName: name });
  if (name instanceof Uint8Array) return ok({ accountId, displayName: new TextDecoder().decode(name) });
  return fail('invalid-service', 'jami: display name is not a string');
}

/** Decodes `[box id: bin(20), web port: uint]`; extra elements are ignored, like the other services. */
export function decodeBoxService(value: MsgValue): Result<BoxService> {
  if (!Array.isArray(value)) return fail('invalid-service', `lanbox: ${describe(value)} instead of array`);
  const [boxId, webPort] = value;
  if (!isHash(boxId)) return fail('invalid-service', 'lanbox: box id is not bin(20)');
  if (!isUint(webPort, 0xffff) || webPort === 0) return fail('invalid-service', 'lanbox: web port is not a uint16 > 0');
  return ok({ boxId, webPort });
}

export function encodeBoxService(s: BoxService): Uint8Array {
  return new MsgWriter().array(2).bin(s.boxId).uint(s.webPort).bytes();
}

/** The 2-byte query datagram. */
export function encodeQuery(): Uint8Array {
  return QUERY_BYTES.slice();
}

export function encodeDhtService(s: DhtService): Uint8Array {
  return new MsgWriter().array(3).bin(s.nodeId).uint(s.port).uint(s.networkId).bytes();
}

export function encodeJamiService(s: JamiService): Uint8Array {
  return new MsgWriter().array(2).bin(s.accountId).str(s.displayName).bytes();
}

/**
 * Builds an announcement from pre-encoded service values. Keys are emitted in byte-wise order
 * (OpenDHT keeps services in an ordered map), which makes our datagrams byte-identical to its.
 */
export function encodeAnnouncement(services: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const encoder = new TextEncoder();
  const sorted = [...services].sort(([a], [b]) => compareBytes(encoder.encode(a), encoder.encode(b)));
  const w = new MsgWriter().map(sorted.length);
  for (const [name, value] of sorted) w.str(name).raw(value);
  return w.bytes();
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function isMap(v: MsgValue): v is Extract<MsgValue, { kind: 'map' }> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && v.kind === 'map';
}

function isHash(v: MsgValue | undefined): v is Uint8Array {
  return v instanceof Uint8Array && v.length === HASH_LENGTH;
}

function isUint(v: MsgValue | undefined, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function describe(v: MsgValue): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bin';
  if (typeof v === 'object') return v.kind;
  return typeof v;
}

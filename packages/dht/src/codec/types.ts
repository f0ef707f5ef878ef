/**
 * Typed OpenDHT wire messages: the contract between the codec (bytes ↔ these types) and the
 * node logic (which sees only these types). Field names follow the meaning, not the one-letter
 * wire keys; the wire key is given in each comment. See docs/protocol.md.
 */

/** 20-byte identifier: node ids, storage keys, public-key ids. */
export type InfoHash = Uint8Array;

/** Address family of a socket, a routing table, a node list. */
export type Family = 4 | 6;

/** A node as carried in compact node lists (`n4`: 26-byte records, `n6`: 38-byte records). */
export interface NodeRecord {
  id: InfoHash;
  /** Textual IP address (`127.0.0.1`, `::1`), never IPv4-mapped IPv6. */
  address: string;
  port: number;
  /**
   * The node's compact record (id, address, port: 26 bytes for IPv4, 38 for IPv6), when its holder
   * keeps one ready; encoders copy it instead of parsing the address again. Must match the fields.
   */
  readonly record?: Uint8Array;
}

/**
 * The signed part of a clear value (`body` inside `dat`). Emitted with keys in the order
 * seq, owner, to, type, data, utype — the signature covers exactly that canonical encoding.
 */
export interface ValueBody {
  /** `seq`, uint16; present exactly when the value is signed. */
  seq?: number;
  /** `owner`: DER SubjectPublicKeyInfo of the signer. */
  owner?: Uint8Array;
  /** `to`: recipient public-key id (20 bytes). */
  to?: InfoHash;
  /** `type`: value type id (0 user data, 8 certificate, ...). */
  type: number;
  /** `data`: application payload. */
  data: Uint8Array;
  /** `utype`: user type, e.g. "text/plain"; omitted when empty. */
  userType?: string;
}

/**
 * A DHT value. `packed` is the value's msgpack encoding exactly as received (or as first
 * encoded); storage and forwarding use those bytes so values travel unchanged.
 */
export interface Value {
  /** `id`: uint64, never 0. */
  id: bigint;
  /** Clear values: the body. Absent for encrypted values. */
  body?: ValueBody;
  /** `sig` (inside `dat`), signed values only. */
  signature?: Uint8Array;
  /** Encrypted values: `dat` is this opaque ciphertext. */
  cypher?: Uint8Array;
  /** `p`: priority, omitted when 0. */
  priority?: number;
  /** `pt`: push type, omitted when empty. */
  pushType?: string;
  /** The msgpack bytes of the whole value map. */
  packed: Uint8Array;
  /**
   * The same bytes as a latin1 string (one char per byte), for values read from storage, which
   * keeps them that way, and for values the fast request path read from a datagram (`WireValue`
   * in value.ts, whose string storage keeps as it is): encoders copy from it, so `packed` need
   * not be built for a reply or a listener's update.
   */
  packedText?: string;
}

/** Field ids used in queries and `fileds` replies. */
export const Field = { id: 1, valueType: 2, ownerPk: 3, seq: 4, userType: 5 } as const;
export type FieldId = number;

/** One equality filter of a query's WHERE part (`{f, v}`). */
export interface FieldFilter {
  field: FieldId;
  /** id → bigint; type/seq → number; owner → 20-byte Uint8Array; user type → Uint8Array (UTF-8). */
  value: bigint | number | Uint8Array;
}

/** `q = {s: [...], w: [...]}`. */
export interface Query {
  select: FieldId[];
  where: FieldFilter[];
}

/** Reply to a query with a SELECT part (`fileds = {f, v}`), flattened as on the wire. */
export interface SelectedFields {
  fields: FieldId[];
  /** For each matching value, one entry per field in `fields` order. */
  values: Array<bigint | number | Uint8Array | string>;
}

/** What every message carries next to its body. */
export interface Envelope {
  /** `t`: transaction id (uint32); for legacy listener notifications, the listen `sid`. */
  tid: number;
  /** `v`: user agent ("RNG1" for 2.4, "o2" for ≥ 2.6); absent on value parts. */
  userAgent?: string;
  /** `n`: network id, 0 when absent. */
  networkId: number;
  /** `s`: the sender is a client node (never put in routing tables). */
  client: boolean;
  /**
   * Set by the decoder when `t` arrived in the old format (4 raw bytes, bin or str, big-endian)
   * instead of an integer; the encoder then writes it back as a 4-byte bin. OpenDHT itself always
   * writes an integer, so leave it unset when building messages.
   */
  tidAsBin?: boolean;
}

/**
 * Values as they appear in put, update, get replies: either inline, or (when large) announced
 * by packed sizes and carried in following value-part datagrams with the same `tid`.
 */
export type ValueList = { kind: 'inline'; values: Value[] } | { kind: 'fragmented'; sizes: number[] };

export type Request =
  | { type: 'ping'; id: InfoHash }
  | { type: 'find'; id: InfoHash; target: InfoHash; want?: Family[] }
  | { type: 'get'; id: InfoHash; key?: InfoHash; query?: Query; want?: Family[] }
  | { type: 'put'; id: InfoHash; key?: InfoHash; values: ValueList; created?: number; token?: Uint8Array }
  | { type: 'refresh'; id: InfoHash; key?: InfoHash; valueId?: bigint; token?: Uint8Array }
  | {
      type: 'listen';
      id: InfoHash;
      key?: InfoHash;
      token?: Uint8Array;
      /** `sid`, 0 when absent. */
      socketId: number;
      /** `ve`: 1 = notifications as `update` requests; 0 = legacy replies. */
      version: number;
      query?: Query;
    }
  | {
      type: 'update';
      id: InfoHash;
      socketId: number;
      key?: InfoHash;
      version?: number;
      values?: ValueList;
      created?: number;
      token?: Uint8Array;
      /** `re`: refreshed value ids. */
      refreshed?: bigint[];
      /** `exp`: expired value ids. */
      expired?: bigint[];
    };

export type RequestType = Request['type'];

/** Any reply body (`r`); which keys are present depends on the request it answers. */
export interface Reply {
  id: InfoHash;
  /** `sa`: the requester's address as seen by the replier (no port). */
  seenAddress?: string;
  nodes4?: NodeRecord[];
  nodes6?: NodeRecord[];
  token?: Uint8Array;
  values?: ValueList;
  fields?: SelectedFields;
  /** `vid`: put / refresh acknowledgement. */
  valueId?: bigint;
}

/** Error (`e = [code, message]`, `r = {id}`). */
export interface ErrorBody {
  id: InfoHash;
  code: number;
  message: string;
}

/** Legacy listener notification `u = {id, token?, re | exp}` sent as a reply whose tid is the sid. */
export interface LegacyUpdate {
  id: InfoHash;
  token?: Uint8Array;
  refreshed?: bigint[];
  expired?: bigint[];
}

/** One chunk of a fragmented value: `p = {index: {o: offset, d: bytes}}`. */
export interface ValuePart {
  index: number;
  offset: number;
  data: Uint8Array;
}

export type Message = Envelope &
  (
    | { kind: 'request'; request: Request }
    | { kind: 'reply'; reply: Reply }
    | { kind: 'error'; error: ErrorBody }
    | { kind: 'legacy-update'; update: LegacyUpdate }
    | { kind: 'value-part'; parts: ValuePart[] }
  );

/** Why a datagram could not be decoded; decoders return this instead of throwing. */
export interface DecodeError {
  reason: string;
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/** Wire error codes OpenDHT sends. */
export const ErrorCode = { noInfoHash: 203, unauthorized: 401, notFound: 404 } as const;

/** Address-family numbers in `w` (Linux values, as every OpenDHT peer writes them). */
export const WireFamily = { inet: 2, inet6: 10 } as const;

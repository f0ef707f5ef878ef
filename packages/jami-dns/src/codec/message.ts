/**
 * DNS messages as the responder needs them: a total decoder for queries, a checker for upstream
 * replies, and response encoders. dns-packet (mafintosh's, the codec under multicast-dns) does the
 * wire work; this file bounds what reaches it and turns its exceptions into error values.
 */
import * as ip from '@leichtgewicht/ip-codec';
import * as packet from 'dns-packet';
import { fail, ok, type Result } from './result.js';

/** Header fields and the one question of a query. */
export interface Query {
  id: number;
  /** 0 = QUERY; others are answered NOTIMP. */
  opcode: number;
  recursionDesired: boolean;
  /** Lower-case, without the trailing dot ('.' for the root): what the policy matches. */
  name: string;
  /** The question section's bytes (name, type, class) as received: responses echo them as-is. */
  question: Uint8Array;
  /** Numeric QTYPE (1 = A, 28 = AAAA, 255 = ANY …). */
  type: number;
  /** Numeric QCLASS (1 = IN). */
  qclass: number;
  /** The query carried an EDNS OPT record (the response then carries one too). */
  edns: boolean;
}

export type QueryError =
  /** Fewer than 12 bytes: there is no id to answer to, so nothing is sent back. */
  | { kind: 'too-short' }
  /** Longer than the configured maximum; answered FORMERR when the header is readable. */
  | { kind: 'too-large'; id: number; opcode: number }
  /** QR set: a response sent to a server port. Never answered (that is how loops start). */
  | { kind: 'not-a-query' }
  /** Readable header, unusable body: answered FORMERR with the header's id. */
  | { kind: 'malformed'; id: number; opcode: number; reason: string };

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

const QR = 0x8000;
const AA = 0x0400;
const RD = 0x0100;

/** Reads the fixed header fields without touching the body. */
function header(bytes: Uint8Array): { id: number; flags: number; qd: number; an: number; ns: number; ar: number } {
  const u16 = (i: number) => ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  return { id: u16(0), flags: u16(2), qd: u16(4), an: u16(6), ns: u16(8), ar: u16(10) };
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Walks the question name's labels by hand: dns-packet joins labels with '.', so a label that
 * itself contains a dot ("bootstrap.jami" + "net") would otherwise read as a Jami name. Names in a
 * query's first question cannot use compression (there is nothing before them to point to).
 */
function plainQuestionName(bytes: Uint8Array): string | null {
  let i = 12;
  let total = 0;
  for (;;) {
    const len = bytes[i];
    if (len === undefined || len > 63) return 'bad label';
    i += 1;
    if (len === 0) return null;
    if (i + len > bytes.length) return 'name runs past the end';
    for (let j = i; j < i + len; j++) if (bytes[j] === 0x2e) return 'dot inside a label';
    total += len + 1;
    if (total > 254) return 'name too long';
    i += len;
  }
}

/** Decodes a datagram received on the server port. Total: any bytes in, a Query or a reason out. */
export function decodeQuery(bytes: Uint8Array, maxBytes: number): Result<Query, QueryError> {
  if (bytes.length < 12) return fail({ kind: 'too-short' });
  const h = header(bytes);
  const opcode = (h.flags >> 11) & 0xf;
  if ((h.flags & QR) !== 0) return fail({ kind: 'not-a-query' });
  if (bytes.length > maxBytes) return fail({ kind: 'too-large', id: h.id, opcode });
  const malformed = (reason: string) => fail({ kind: 'malformed' as const, id: h.id, opcode, reason });
  // One question, no answers or authorities, at most the EDNS OPT record: anything else is not
  // a stub resolver's query, and refusing it before decoding bounds the decoder's work.
  if (h.qd !== 1) return malformed(`${h.qd} questions`);
  if (h.an !== 0 || h.ns !== 0) return malformed('answer or authority records in a query');
  if (h.ar > 1) return malformed(`${h.ar} additional records`);
  const nameProblem = plainQuestionName(bytes);
  if (nameProblem !== null) return malformed(nameProblem);
  let decoded: packet.DecodedPacket;
  try {
    decoded = packet.decode(asBuffer(bytes));
  } catch (err) {
    return malformed(err instanceof Error ? err.message : 'undecodable');
  }
  const q = decoded.questions?.[0];
  if (q === undefined || typeof q.name !== 'string') return malformed('no question');
  const type = rawU16(bytes, questionEnd(bytes));
  const qclass = rawU16(bytes, questionEnd(bytes) + 2);
  if (type === null || qclass === null) return malformed('question runs past the end');
  const additional = decoded.additionals?.[0];
  if (additional !== undefined && additional.type !== 'OPT') return malformed('additional record is not OPT');
  return ok({
    id: h.id,
    opcode,
    recursionDesired: (h.flags & RD) !== 0,
    name: normaliseName(q.name),
    question: bytes.slice(12, questionEnd(bytes) + 4),
    type,
    qclass,
    edns: additional !== undefined,
  });
}

/** Offset just past the first question's name (the name was checked by plainQuestionName). */
function questionEnd(bytes: Uint8Array): number {
  let i = 12;
  while ((bytes[i] ?? 0) !== 0) i += (bytes[i] ?? 0) + 1;
  return i + 1;
}

function rawU16(bytes: Uint8Array, i: number): number | null {
  const a = bytes[i];
  const b = bytes[i + 1];
  return a === undefined || b === undefined ? null : (a << 8) | b;
}

export function normaliseName(name: string): string {
  const lower = name.toLowerCase();
  if (lower === '' || lower === '.') return '.';
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** What a response says beyond the echoed question. */
export interface ResponseSpec {
  rcode: Rcode;
  authoritative: boolean;
  /** A and AAAA records for the question's name (already-validated address text). */
  addresses?: { a: readonly string[]; aaaa: readonly string[] };
  /** @default 60 */
  ttl?: number;
}

/**
 * Encodes the response to a decoded query. The question is copied byte for byte from the query
 * (names are echoed exactly, whatever their case or bytes), answers point at it with a
 * compression pointer, and an OPT record is added when the query had one.
 */
export function encodeResponse(query: Query, spec: ResponseSpec): Uint8Array {
  const ttl = spec.ttl ?? 60;
  const records: Uint8Array[] = [];
  for (const a of spec.addresses?.a ?? []) records.push(addressRecord(TYPE_A, ttl, ip.v4.encode(a)));
  for (const a of spec.addresses?.aaaa ?? []) records.push(addressRecord(TYPE_AAAA, ttl, ip.v6.encode(a)));
  // OPT: root name, type 41, class = our UDP payload size (1232, the DNS flag day value), TTL 0
  // (extended rcode 0, version 0, no DO bit), no options.
  const opt = query.edns ? Uint8Array.of(0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0) : new Uint8Array(0);
  const flags = QR | (query.opcode << 11) | (spec.authoritative ? AA : 0) | (query.recursionDesired ? RD : 0) | spec.rcode;
  const size = 12 + query.question.length + records.reduce((n, r) => n + r.length, 0) + opt.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, query.id);
  view.setUint16(2, flags);
  view.setUint16(4, 1);
  view.setUint16(6, records.length);
  view.setUint16(10, query.edns ? 1 : 0);
  let at = 12;
  out.set(query.question, at);
  at += query.question.length;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  out.set(opt, at);
  return out;
}

function addressRecord(type: number, ttl: number, rdata: Uint8Array): Uint8Array {
  const r = new Uint8Array(12 + rdata.length);
  const view = new DataView(r.buffer);
  view.setUint16(0, 0xc00c); // pointer to the question's name, right after the header
  view.setUint16(2, type);
  view.setUint16(4, CLASS_IN);
  view.setUint32(6, ttl);
  view.setUint16(10, rdata.length);
  r.set(rdata, 12);
  return r;
}

/**
 * A header-only error response (FORMERR, NOTIMP, SERVFAIL…) for a datagram whose body we do not
 * echo: the id and opcode are all a stub resolver needs to match it to its query.
 */
export function encodeHeaderOnly(id: number, opcode: number, rcode: Rcode): Uint8Array {
  const out = new Uint8Array(12);
  const flags = QR | ((opcode & 0xf) << 11) | rcode;
  out[0] = id >> 8;
  out[1] = id & 0xff;
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  return out;
}

/** A copy of `bytes` with another id (forwarding rewrites ids both ways). */
export function withId(bytes: Uint8Array, id: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[0] = (id >> 8) & 0xff;
  out[1] = id & 0xff;
  return out;
}

/** The parts of an upstream reply the forwarder checks before relaying it. */
export interface UpstreamReply {
  id: number;
  name: string;
  type: number;
  qclass: number;
}

/** Checks an upstream datagram: a response with one question, fully decodable. Total. */
export function decodeUpstreamReply(bytes: Uint8Array, maxBytes: number): Result<UpstreamReply, string> {
  if (bytes.length < 12) return fail('shorter than a header');
  if (bytes.length > maxBytes) return fail('too large');
  const h = header(bytes);
  if ((h.flags & QR) === 0) return fail('not a response');
  if (h.qd !== 1) return fail(`${h.qd} questions`);
  if (plainQuestionName(bytes) !== null) return fail('bad question name');
  try {
    const decoded = packet.decode(asBuffer(bytes));
    const q = decoded.questions?.[0];
    if (q === undefined) return fail('no question');
    const end = questionEnd(bytes);
    const type = rawU16(bytes, end);
    const qclass = rawU16(bytes, end + 2);
    if (type === null || qclass === null) return fail('question runs past the end');
    return ok({ id: h.id, name: normaliseName(q.name), type, qclass });
  } catch (err) {
    return fail(err instanceof Error ? err.message : 'undecodable');
  }
}

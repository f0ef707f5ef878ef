import { Attr, HEADER_LENGTH, MAGIC_COOKIE, MAX_ATTRIBUTES, MAX_MESSAGE_LENGTH, TRANSACTION_ID_LENGTH, type MessageClass } from './constants.js';
import { computeFingerprint, computeIntegrity } from './integrity.js';
import { err, ok, type Result } from './result.js';

export interface StunAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

/** A message as the caller builds it. */
export interface StunMessage {
  readonly method: number;
  readonly cls: MessageClass;
  /** 12 bytes. */
  readonly transactionId: Uint8Array;
  readonly attributes: readonly StunAttribute[];
}

/** A decoded message keeps its bytes and where each attribute starts, so integrity can be checked later. */
export interface DecodedMessage extends StunMessage {
  readonly raw: Uint8Array;
  /** Offset in `raw` of each attribute's header, parallel to `attributes`. */
  readonly offsets: readonly number[];
}

export interface EncodeOptions {
  /** Adds MESSAGE-INTEGRITY keyed with this (the long-term key or a short-term password). */
  integrityKey?: Uint8Array;
  /** Adds FINGERPRINT as the last attribute. */
  fingerprint?: boolean;
}

const CLASS_BITS: Record<MessageClass, number> = { request: 0, indication: 1, success: 2, error: 3 };
const CLASSES: readonly MessageClass[] = ['request', 'indication', 'success', 'error'];

/** Interleaves the 12 method bits with the 2 class bits (RFC 5389 §6, figure 3). */
export function messageType(method: number, cls: MessageClass): number {
  const c = CLASS_BITS[cls];
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | ((c & 2) << 7) | ((c & 1) << 4);
}

function splitType(type: number): { method: number; cls: MessageClass } {
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = CLASSES[((type >> 7) & 2) | ((type >> 4) & 1)] as MessageClass;
  return { method, cls };
}

function padded(length: number): number {
  return (length + 3) & ~3;
}

function writeHeader(out: Buffer, type: number, bodyLength: number, transactionId: Uint8Array): void {
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(bodyLength, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  out.set(transactionId.subarray(0, TRANSACTION_ID_LENGTH), 8);
}

function writeAttribute(out: Buffer, offset: number, type: number, value: Uint8Array): number {
  out.writeUInt16BE(type, offset);
  out.writeUInt16BE(value.length, offset + 2);
  out.set(value, offset + 4);
  // Padding stays zero (Buffer.alloc); receivers must ignore its value anyway.
  return offset + 4 + padded(value.length);
}

/**
 * Serialises a message. MESSAGE-INTEGRITY and FINGERPRINT, when asked for, are computed here and
 * appended in the order RFC 5389 §15.4-15.5 requires; callers never pass them as attributes.
 */
export function encodeMessage(message: StunMessage, options: EncodeOptions = {}): Uint8Array {
  let body = 0;
  for (const a of message.attributes) body += 4 + padded(a.value.length);
  const integrityAt = body;
  if (options.integrityKey) body += 24;
  const fingerprintAt = body;
  if (options.fingerprint) body += 8;

  const out = Buffer.alloc(HEADER_LENGTH + body);
  writeHeader(out, messageType(message.method, message.cls), body, message.transactionId);
  let offset = HEADER_LENGTH;
  for (const a of message.attributes) offset = writeAttribute(out, offset, a.type, a.value);

  if (options.integrityKey) {
    const mac = computeIntegrity(out.subarray(0, HEADER_LENGTH + integrityAt), integrityAt + 24, options.integrityKey);
    offset = writeAttribute(out, offset, Attr.MessageIntegrity, mac);
  }
  if (options.fingerprint) {
    const crc = computeFingerprint(out.subarray(0, HEADER_LENGTH + fingerprintAt), fingerprintAt + 8);
    const value = Buffer.alloc(4);
    value.writeUInt32BE(crc, 0);
    writeAttribute(out, offset, Attr.Fingerprint, value);
  }
  return out;
}

export type DecodeError = 'too-short' | 'not-stun' | 'bad-length' | 'truncated-attribute' | 'too-many-attributes';

/** True when the bytes start like an RFC 5389 message (top bits 00 and the magic cookie). */
export function looksLikeStun(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_LENGTH && (bytes[0] as number) < 0x40 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).readUInt32BE(4) === MAGIC_COOKIE;
}

/** Parses one whole message (exactly the given bytes). Never throws. */
export function decodeMessage(bytes: Uint8Array): Result<DecodedMessage, DecodeError> {
  if (bytes.length < HEADER_LENGTH) return err('too-short');
  if (!looksLikeStun(bytes)) return err('not-stun');
  if (bytes.length > MAX_MESSAGE_LENGTH) return err('bad-length');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const bodyLength = buf.readUInt16BE(2);
  if (bodyLength % 4 !== 0 || HEADER_LENGTH + bodyLength !== buf.length) return err('bad-length');

  const attributes: StunAttribute[] = [];
  const offsets: number[] = [];
  let offset = HEADER_LENGTH;
  while (offset < buf.length) {
    if (attributes.length >= MAX_ATTRIBUTES) return err('too-many-attributes');
    if (offset + 4 > buf.length) return err('truncated-attribute');
    const type = buf.readUInt16BE(offset);
    const length = buf.readUInt16BE(offset + 2);
    if (offset + 4 + padded(length) > buf.length) return err('truncated-attribute');
    offsets.push(offset);
    attributes.push({ type, value: buf.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + padded(length);
  }
  const { method, cls } = splitType(buf.readUInt16BE(0));
  return ok({ method, cls, transactionId: buf.subarray(8, HEADER_LENGTH), attributes, offsets, raw: buf });
}

/** First attribute of a type, ignoring anything after MESSAGE-INTEGRITY except FINGERPRINT (RFC 5389 §15.4). */
export function findAttribute(message: DecodedMessage | StunMessage, type: number): Uint8Array | undefined {
  for (const a of message.attributes) {
    if (a.type === type) return a.value;
    if (a.type === Attr.MessageIntegrity && type !== Attr.Fingerprint) return undefined;
  }
  return undefined;
}

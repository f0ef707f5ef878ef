import { decodeXorAddress, encodeXorAddress, type TransportAddress } from './address.js';
import { Attr } from './constants.js';
import { findAttribute, type DecodedMessage, type StunAttribute } from './message.js';
import { err, ok, type Result } from './result.js';

/** Typed readers and writers for the attributes the probe sends and reads. */

export interface ErrorCode {
  readonly code: number;
  readonly reason: string;
}

/** ERROR-CODE: class in the low 3 bits of byte 2, number (0-99) in byte 3 (RFC 5389 §15.6). */
export function readErrorCode(message: DecodedMessage): Result<ErrorCode> {
  const v = findAttribute(message, Attr.ErrorCode);
  if (!v) return err('no ERROR-CODE');
  if (v.length < 4) return err('ERROR-CODE too short');
  const cls = (v[2] as number) & 0x07;
  const number = v[3] as number;
  if (cls < 3 || cls > 6 || number > 99) return err('ERROR-CODE out of range');
  return ok({ code: cls * 100 + number, reason: Buffer.from(v.subarray(4)).toString('utf8') });
}

export function readText(message: DecodedMessage, type: number): string | undefined {
  const v = findAttribute(message, type);
  return v ? Buffer.from(v).toString('utf8') : undefined;
}

export function readUint32(message: DecodedMessage, type: number): number | undefined {
  const v = findAttribute(message, type);
  return v && v.length === 4 ? Buffer.from(v).readUInt32BE(0) : undefined;
}

export function readXorAddress(message: DecodedMessage, type: number): Result<TransportAddress> {
  const v = findAttribute(message, type);
  if (!v) return err('attribute missing');
  return decodeXorAddress(v, message.transactionId);
}

export function textAttribute(type: number, text: string): StunAttribute {
  return { type, value: Buffer.from(text, 'utf8') };
}

export function uint32Attribute(type: number, n: number): StunAttribute {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n >>> 0, 0);
  return { type, value };
}

/** REQUESTED-TRANSPORT: protocol number then 3 reserved bytes (RFC 5766 §14.7). */
export function requestedTransport(protocol: number): StunAttribute {
  return { type: Attr.RequestedTransport, value: Uint8Array.of(protocol, 0, 0, 0) };
}

export function xorAddressAttribute(type: number, addr: TransportAddress, transactionId: Uint8Array): StunAttribute | undefined {
  const value = encodeXorAddress(addr, transactionId);
  return value ? { type, value } : undefined;
}

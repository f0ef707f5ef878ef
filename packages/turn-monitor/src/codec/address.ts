import { MAGIC_COOKIE } from './constants.js';
import { bytesToIp, ipToBytes } from './ip.js';
import { err, ok, type Result } from './result.js';

export interface TransportAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  readonly port: number;
}

const FAMILY_V4 = 0x01;
const FAMILY_V6 = 0x02;

/** The XOR key: the magic cookie followed by the transaction id (only the first 4 bytes for IPv4). */
function xorKey(transactionId: Uint8Array): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(MAGIC_COOKIE, 0);
  key.set(transactionId.subarray(0, 12), 4);
  return key;
}

/** XOR-MAPPED/RELAYED/PEER-ADDRESS value (RFC 5389 §15.2). Returns undefined for a non-IP address. */
export function encodeXorAddress(addr: TransportAddress, transactionId: Uint8Array): Uint8Array | undefined {
  const ip = ipToBytes(addr.address);
  if (!ip) return undefined;
  const key = xorKey(transactionId);
  const out = Buffer.alloc(4 + ip.length);
  out[1] = ip.length === 4 ? FAMILY_V4 : FAMILY_V6;
  out.writeUInt16BE((addr.port ^ (MAGIC_COOKIE >>> 16)) & 0xffff, 2);
  for (let i = 0; i < ip.length; i++) out[4 + i] = (ip[i] as number) ^ (key[i] as number);
  return out;
}

export function decodeXorAddress(value: Uint8Array, transactionId: Uint8Array): Result<TransportAddress> {
  if (value.length < 4) return err('address too short');
  const family = value[1];
  const length = family === FAMILY_V4 ? 4 : family === FAMILY_V6 ? 16 : 0;
  if (length === 0) return err(`unknown address family ${String(family)}`);
  if (value.length !== 4 + length) return err('address length does not match its family');
  const key = xorKey(transactionId);
  const ip = new Uint8Array(length);
  for (let i = 0; i < length; i++) ip[i] = (value[4 + i] as number) ^ (key[i] as number);
  const port = ((((value[2] as number) << 8) | (value[3] as number)) ^ (MAGIC_COOKIE >>> 16)) & 0xffff;
  return ok({ family: length === 4 ? 'IPv4' : 'IPv6', address: bytesToIp(ip), port });
}

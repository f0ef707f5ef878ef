/** Which peer addresses the node talks to (martians, §16.3); grouping sources is `source-group.ts`. */
import { parseIpv4, parseIpv6 } from '../codec/address.js';
import type { Family } from '../codec/types.js';

const scratch = new Uint8Array(16);

/**
 * True for addresses OpenDHT ignores: port 0, IPv4 0/8 and 224/3, IPv6 multicast, `::` and
 * IPv4-mapped. Link-local IPv6 is accepted (as OpenDHT ≥ 2.6 does); loopback and private are fine.
 */
export function isMartian(family: Family, address: string, port: number): boolean {
  if (port <= 0 || port > 65535) return true;
  // Parsed into a scratch buffer: this runs for every datagram received.
  const bytes = scratch;
  if (family === 4) {
    if (!parseIpv4(address, bytes)) return true;
    return bytes[0] === 0 || bytes[0]! >= 224;
  }
  if (!address.includes(':') || !parseIpv6(address, bytes)) return true;
  if (bytes[0] === 0xff) return true;
  let zeroPrefix = true;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) zeroPrefix = false;
  if (zeroPrefix && bytes[10] === 0xff && bytes[11] === 0xff) return true;
  if (zeroPrefix && bytes[10] === 0 && bytes[11] === 0) {
    let allZero = true;
    for (let i = 12; i < 16; i++) if (bytes[i] !== 0) allZero = false;
    if (allZero) return true;
  }
  return false;
}

export function isLoopback(family: Family, address: string): boolean {
  if (family === 4) return address.startsWith('127.');
  return address === '::1';
}

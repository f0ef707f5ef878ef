/** Which peer addresses the node talks to (martians, §16.3) and how it groups them (rate limits). */
import { addressToBytes } from '../codec/address.js';
import type { Family } from '../codec/types.js';

/**
 * True for addresses OpenDHT ignores: port 0, IPv4 0/8 and 224/3, IPv6 multicast, `::` and
 * IPv4-mapped. Link-local IPv6 is accepted (as OpenDHT ≥ 2.6 does); loopback and private are fine.
 */
export function isMartian(family: Family, address: string, port: number): boolean {
  if (port <= 0 || port > 65535) return true;
  const bytes = addressToBytes(address);
  if (!bytes) return true;
  if (family === 4) {
    if (bytes.length !== 4) return true;
    return bytes[0] === 0 || bytes[0]! >= 224;
  }
  if (bytes.length !== 16) return true;
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

/**
 * The rate-limit bucket of a source: the IPv4 address itself, or the /64 of an IPv6 address (one
 * host usually owns a whole /64, so counting per address would let it multiply its quota).
 * Link-local sources (fe80::/10) are the exception: every host on a link shares fe80::/64, so on
 * an offline LAN a /64 bucket would make all IPv6 clients share one budget; they count per address.
 */
export function rateLimitKey(family: Family, address: string): string {
  if (family === 4) return address;
  const bytes = addressToBytes(address);
  if (!bytes || bytes.length !== 16) return address;
  const length = isLinkLocal(bytes) ? 16 : 8;
  let key = '';
  for (let i = 0; i < length; i++) key += bytes[i]!.toString(16).padStart(2, '0');
  return key;
}

function isLinkLocal(bytes: Uint8Array): boolean {
  return bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}

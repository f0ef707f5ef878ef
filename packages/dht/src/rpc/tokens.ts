/**
 * Write tokens (§12): HMAC-SHA-256 over the requester's IP bytes and port, keyed by a secret that
 * rotates every 15–45 min; the previous secret stays valid, so a token lives at least 15 min and
 * is bound to one IP:port.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { addressToBytes, parseIpv4 } from '../codec/address.js';

export const TOKEN_BYTES = 32;
const ROTATE_MIN_MS = 15 * 60 * 1000;
const ROTATE_SPREAD_MS = 30 * 60 * 1000;
/** Tokens remembered per address (every find/get reply carries one; peers ask again and again). */
const CACHE_MAX = 4096;

const v4 = new Uint8Array(4);

export class TokenIssuer {
  private current: Uint8Array;
  private previous: Uint8Array;
  private rotateAt: number;
  /** Keyed by IPv4 address and port as one number (no key string built per request), else `address|port`. */
  private readonly cache = new Map<number | string, Uint8Array>();

  constructor(
    private readonly rng: (n: number) => Uint8Array,
    now: number,
  ) {
    this.current = rng(32);
    this.previous = this.current;
    this.rotateAt = now + this.nextInterval();
  }

  private nextInterval(): number {
    const r = this.rng(4);
    const fraction = (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) / 2 ** 32;
    return ROTATE_MIN_MS + Math.floor(fraction * ROTATE_SPREAD_MS);
  }

  /** Called by the maintenance tick. */
  maybeRotate(now: number): void {
    if (now < this.rotateAt) return;
    this.previous = this.current;
    this.current = this.rng(32);
    this.rotateAt = now + this.nextInterval();
    this.cache.clear();
  }

  private compute(secret: Uint8Array, address: string, port: number): Uint8Array {
    const hmac = createHmac('sha256', secret);
    hmac.update(addressToBytes(address) ?? Buffer.from(address));
    hmac.update(Uint8Array.of(port >> 8, port & 0xff));
    return hmac.digest();
  }

  issue(address: string, port: number): Uint8Array {
    const key =
      port >>> 0 === port && port <= 0xffff && parseIpv4(address, v4)
        ? (((v4[0]! << 24) | (v4[1]! << 16) | (v4[2]! << 8) | v4[3]!) >>> 0) * 65536 + port
        : `${address}|${port}`;
    let token = this.cache.get(key);
    if (token === undefined) {
      token = this.compute(this.current, address, port);
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(key, token);
    }
    return token;
  }

  check(token: Uint8Array | undefined, address: string, port: number): boolean {
    if (!token || token.length !== TOKEN_BYTES) return false;
    if (timingSafeEqual(token, this.issue(address, port))) return true;
    return this.previous !== this.current && timingSafeEqual(token, this.compute(this.previous, address, port));
  }
}

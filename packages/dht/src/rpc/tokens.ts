/**
 * Write tokens (§12): HMAC-SHA-256 over the requester's IP bytes and port, keyed by a secret that
 * rotates every 15–45 min; the previous secret stays valid, so a token lives at least 15 min and
 * is bound to one IP:port.
 */
import { createHmac } from 'node:crypto';
import { addressToBytes } from '../codec/address.js';

export const TOKEN_BYTES = 32;
const ROTATE_MIN_MS = 15 * 60 * 1000;
const ROTATE_SPREAD_MS = 30 * 60 * 1000;
/** Tokens remembered per address (every find/get reply carries one; peers ask again and again). */
const CACHE_MAX = 4096;

export class TokenIssuer {
  private current: Uint8Array;
  private previous: Uint8Array;
  private rotateAt: number;
  /**
   * Tokens by address, then port: looking up the requester's address string (whose hash V8 keeps
   * on the string) and a small-integer port costs no new string, where an `address|port` key
   * built a string, printed the port and hashed both at every request.
   */
  private readonly cache = new Map<string, Map<number, Uint8Array>>();
  private cached = 0;

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
    this.cached = 0;
  }

  private compute(secret: Uint8Array, address: string, port: number): Uint8Array {
    const hmac = createHmac('sha256', secret);
    hmac.update(addressToBytes(address) ?? Buffer.from(address));
    hmac.update(Uint8Array.of(port >> 8, port & 0xff));
    return hmac.digest();
  }

  issue(address: string, port: number): Uint8Array {
    let ports = this.cache.get(address);
    let token = ports?.get(port);
    if (token === undefined) {
      token = this.compute(this.current, address, port);
      if (this.cached >= CACHE_MAX) {
        this.cache.clear();
        this.cached = 0;
        ports = undefined;
      }
      if (ports === undefined) {
        ports = new Map();
        this.cache.set(address, ports);
      }
      ports.set(port, token);
      this.cached++;
    }
    return token;
  }

  /** `issued`: the requester's current token when the caller already has it (a listen, which sends one back). */
  check(token: Uint8Array | undefined, address: string, port: number, issued?: Uint8Array): boolean {
    if (!token || token.length !== TOKEN_BYTES) return false;
    if (sameBytes(token, issued ?? this.issue(address, port))) return true;
    return this.previous !== this.current && sameBytes(token, this.compute(this.previous, address, port));
  }
}

/**
 * Constant-time comparison of two tokens of TOKEN_BYTES (every byte is looked at, no early exit),
 * in JavaScript: `crypto.timingSafeEqual` validated its arguments and crossed into C++ for 32
 * bytes, about 5% of a put's own work.
 */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== TOKEN_BYTES || b.length !== TOKEN_BYTES) return false;
  let diff = 0;
  for (let i = 0; i < TOKEN_BYTES; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

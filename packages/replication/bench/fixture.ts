/**
 * Builds (once) a file of N valid name registrations, each with its own RSA key, for the sync
 * benchmark. Generating 100 000 RSA keys the usual way takes hours, so the keys are products of
 * pairs drawn from a pool of primes (P primes give P·(P−1)/2 distinct moduli). Sharing primes makes
 * these keys worthless as secrets, which does not matter for a benchmark: each one is a valid
 * RSA key of the requested size, with its own Jami ID and a real signature to verify.
 *
 *   node --import tsx bench/fixture.ts OUT.ndjson [N=100000] [BITS=2048]
 */
import { constants, createHash, createPrivateKey, createPublicKey, generatePrimeSync, sign } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const E = 65537n;

function b64url(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** Name of the i-th benchmark registration (valid under the name rule). */
export function benchName(i: number): string {
  return `u${i.toString(36).padStart(6, '0')}`;
}

export async function writeFixture(path: string, count: number, bits: number): Promise<void> {
  const half = bits / 2;
  let pool = 2;
  while ((pool * (pool - 1)) / 2 < count) pool += 1;
  const primes: bigint[] = [];
  // Both top bits set, so that every product has exactly `bits` bits.
  const floor = 3n << BigInt(half - 2);
  while (primes.length < pool) {
    const p = generatePrimeSync(half, { bigint: true });
    if (p >= floor && (p - 1n) % E !== 0n && !primes.includes(p)) primes.push(p);
  }
  const out = createWriteStream(path);
  let written = 0;
  for (let i = 0; i < pool && written < count; i++) {
    for (let j = i + 1; j < pool && written < count; j++) {
      const p = primes[i] as bigint;
      const q = primes[j] as bigint;
      const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
      const d = modInverse(E, lambda);
      const key = createPrivateKey({
        format: 'jwk',
        key: {
          kty: 'RSA',
          n: b64url(p * q),
          e: b64url(E),
          d: b64url(d),
          p: b64url(p),
          q: b64url(q),
          dp: b64url(d % (p - 1n)),
          dq: b64url(d % (q - 1n)),
          qi: b64url(modInverse(q, p)),
        },
      });
      const pub = createPublicKey(key);
      const addr = createHash('sha1')
        .update(pub.export({ type: 'spki', format: 'der' }))
        .digest('hex');
      const name = benchName(written);
      const signature = sign('sha512', Buffer.from(name), { key, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
      const publickey = Buffer.from(String(pub.export({ type: 'spki', format: 'pem' }))).toString('base64');
      const line = JSON.stringify({ name, addr, owner: addr, publickey, signature });
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      written += 1;
    }
  }
  out.end();
  await once(out, 'finish');
}

if (process.argv[1]?.endsWith('fixture.ts')) {
  const [path, n, bits] = process.argv.slice(2);
  if (path === undefined) throw new Error('usage: fixture.ts OUT.ndjson [N] [BITS]');
  await writeFixture(path, Number(n ?? 100_000), Number(bits ?? 2048));
}

import { err, ok, type Result } from './result.js';

/** RSA public key components, big-endian, without sign bytes. */
export interface RsaComponents {
  readonly n: Buffer;
  readonly e: Buffer;
}

/** AlgorithmIdentifier { rsaEncryption, NULL } as DER writes it. */
const RSA_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), length(body.length), body]);
}

function integer(magnitude: Buffer): Buffer {
  // DER: a leading zero only when the high bit is set (the value is positive).
  return tlv(0x02, (magnitude[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), magnitude]) : magnitude);
}

/** The DER SubjectPublicKeyInfo of an RSA key, as OpenSSL and GnuTLS export it. */
export function encodeRsaSpki(key: RsaComponents): Buffer {
  const rsaKey = tlv(0x30, Buffer.concat([integer(key.n), integer(key.e)]));
  return tlv(0x30, Buffer.concat([RSA_ALGORITHM, tlv(0x03, Buffer.concat([Buffer.of(0), rsaKey]))]));
}

/** Reads one TLV at `at` with a definite, minimally encoded length; undefined if it does not fit. */
function readTlv(der: Buffer, at: number, tag: number): { body: Buffer; end: number } | undefined {
  if (der[at] !== tag || at + 1 >= der.length) return undefined;
  let len = der[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 3 || start + count > der.length) return undefined;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + (der[start + i] as number);
    start += count;
  }
  if (start + len > der.length) return undefined;
  return { body: der.subarray(start, start + len), end: start + len };
}

function magnitude(body: Buffer): Buffer | undefined {
  if (body.length === 0 || (body[0] as number) & 0x80) return undefined;
  return body[0] === 0 && body.length > 1 ? body.subarray(1) : body;
}

/**
 * Reads an RSA SubjectPublicKeyInfo if, and only if, it is in canonical DER: re-encoding the
 * components gives back the same bytes. Then the key's Jami ID is the SHA-1 of these very bytes,
 * and the key can be imported without OpenSSL's generic decoders (ten times slower, which matters
 * when a box verifies a whole registry received from another box). Anything else is an error and
 * the caller falls back to OpenSSL.
 */
export function decodeRsaSpki(der: Buffer): Result<RsaComponents, 'not canonical rsa spki'> {
  const outer = readTlv(der, 0, 0x30);
  if (outer === undefined || outer.end !== der.length) return err('not canonical rsa spki');
  if (!outer.body.subarray(0, RSA_ALGORITHM.length).equals(RSA_ALGORITHM)) return err('not canonical rsa spki');
  const bits = readTlv(outer.body, RSA_ALGORITHM.length, 0x03);
  if (bits === undefined || bits.end !== outer.body.length || bits.body[0] !== 0) return err('not canonical rsa spki');
  const seq = readTlv(bits.body, 1, 0x30);
  if (seq === undefined || seq.end !== bits.body.length) return err('not canonical rsa spki');
  const n = readTlv(seq.body, 0, 0x02);
  const e = n === undefined ? undefined : readTlv(seq.body, n.end, 0x02);
  if (n === undefined || e === undefined || e.end !== seq.body.length) return err('not canonical rsa spki');
  const nm = magnitude(n.body);
  const em = magnitude(e.body);
  if (nm === undefined || em === undefined) return err('not canonical rsa spki');
  const key = { n: Buffer.from(nm), e: Buffer.from(em) };
  return encodeRsaSpki(key).equals(der) ? ok(key) : err('not canonical rsa spki');
}

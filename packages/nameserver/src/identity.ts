import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeBase64 } from './codec/base64.js';
import { decodePublicKeyPem } from './codec/pem.js';
import { decodeRsaSpki } from './codec/spki.js';
import { err, ok, type Result } from './codec/result.js';

/** Key sizes the server accepts; the upper bound caps the CPU an attacker can make us spend. */
export interface KeyBounds {
  readonly minKeyBits: number;
  readonly maxKeyBits: number;
}

/** Why a registration's identity proof fails; worded as the HTTP error strings. */
export type IdentityError =
  | 'publickey not found or invalid'
  | 'key size not allowed'
  | 'signature not found or invalid'
  | 'publickey does not match addr'
  | 'signature verification failed';

/** Largest PEM we decode: a 16384-bit SPKI is about 2.8 kB of PEM. */
const MAX_PEM_BYTES = 4096;

/** A parsed account key and its Jami ID (SHA-1 of the DER SubjectPublicKeyInfo, as OpenDHT computes it). */
export interface AccountKey {
  readonly key: KeyObject;
  readonly jamiId: string;
}

/** Decodes the `publickey` field (base64 of PEM, trailing NUL tolerated) into an RSA key and its ID. */
export function decodeAccountKey(publickey: string): Result<AccountKey, 'publickey not found or invalid'> {
  const pem = decodeBase64(publickey, MAX_PEM_BYTES);
  if (!pem.ok) return err('publickey not found or invalid');
  const der = decodePublicKeyPem(pem.value);
  if (!der.ok) return err('publickey not found or invalid');
  const rsa = decodeRsaSpki(der.value);
  if (rsa.ok) {
    // Canonical DER: its bytes are what a re-export would give, so they are hashed as they are.
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n: rsa.value.n.toString('base64url'), e: rsa.value.e.toString('base64url') }, format: 'jwk' });
      return ok({ key, jamiId: createHash('sha1').update(der.value).digest('hex') });
    } catch {
      return err('publickey not found or invalid');
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der.value, format: 'der', type: 'spki' });
  } catch {
    return err('publickey not found or invalid');
  }
  if (key.asymmetricKeyType !== 'rsa') return err('publickey not found or invalid');
  // Hash the re-exported DER, not the bytes received, so that the ID is that of the key itself.
  const spki = key.export({ type: 'spki', format: 'der' });
  return ok({ key, jamiId: createHash('sha1').update(spki).digest('hex') });
}

/** RSA PKCS#1 v1.5 with SHA-512 over the UTF-8 bytes of the name, as OpenDHT signs. */
function signatureValid(key: KeyObject, name: string, signature: Buffer): boolean {
  try {
    return verify('sha512', Buffer.from(name, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

/** Largest RSA public exponent accepted: 65537 (F4), what GnuTLS and OpenSSL generate. */
export const MAX_PUBLIC_EXPONENT = 65537n;

/**
 * The three checks that bind a name to a Jami ID: the key parses, its SHA-1 ID equals `addr`, and
 * its signature over the (lowercase) name verifies. The reference server skips the second one,
 * which lets anyone squat a name pointing at someone else's ID.
 */
export function checkIdentity(
  claim: { readonly name: string; readonly addr: string; readonly publickey: string; readonly signature: string },
  bounds: KeyBounds,
): Result<AccountKey, IdentityError> {
  const account = decodeAccountKey(claim.publickey);
  if (!account.ok) return account;
  const bits = account.value.key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < bounds.minKeyBits || bits > bounds.maxKeyBits) return err('key size not allowed');
  // A huge exponent makes every verification slow (7 ms instead of 1-3 with a 4096-bit key);
  // Jami's keys (GnuTLS) use 65537.
  const exponent = account.value.key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (exponent > MAX_PUBLIC_EXPONENT) return err('key size not allowed');
  const signature = decodeBase64(claim.signature, Math.ceil(bits / 8));
  if (!signature.ok || signature.value.length !== Math.ceil(bits / 8)) return err('signature not found or invalid');
  if (account.value.jamiId !== claim.addr) return err('publickey does not match addr');
  if (!signatureValid(account.value.key, claim.name, signature.value)) return err('signature verification failed');
  return account;
}

/** What a Jami client concludes from a `GET /name/<name>` answer (registeredNameFound status 0/1/2). */
export type LookupVerdict = 'found' | 'invalid' | 'not found';

/**
 * Models jamid's check of a forward-lookup answer: with both `publickey` and `signature` present,
 * the key's ID must equal `addr` (a `0x` prefix is stripped) and the signature over the queried name
 * must verify; with either one missing the answer is taken as is; no `addr` means not found.
 * Used to check that what this server serves is what clients accept.
 */
export function checkLookupAnswer(queriedName: string, answer: unknown): LookupVerdict {
  if (typeof answer !== 'object' || answer === null) return 'not found';
  const a = answer as Record<string, unknown>;
  const addrField = typeof a['addr'] === 'string' ? a['addr'] : '';
  const addr = addrField.startsWith('0x') ? addrField.slice(2) : addrField;
  if (addr === '') return 'not found';
  const publickey = typeof a['publickey'] === 'string' ? a['publickey'] : '';
  const signature = typeof a['signature'] === 'string' ? a['signature'] : '';
  if (publickey === '' || signature === '') return 'found';
  const account = decodeAccountKey(publickey);
  if (!account.ok || account.value.jamiId !== addr) return 'invalid';
  const sig = decodeBase64(signature, MAX_PEM_BYTES);
  if (!sig.ok) return 'invalid';
  return signatureValid(account.value.key, queriedName, sig.value) ? 'found' : 'invalid';
}

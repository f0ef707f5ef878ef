import { decodeHexId } from './hex-id.js';
import { err, ok, type Result } from './result.js';

/** Body of `POST /name/<name>` once its fields have the right form (crypto not checked yet). */
export interface RegistrationRequest {
  /** Jami ID, 40 lowercase hex, no prefix. */
  readonly addr: string;
  /** Ethereum-style owner address, 40 lowercase hex, no prefix. Format only: nothing binds it. */
  readonly owner: string;
  /** Base64 of the account key's PEM, exactly as sent (kept verbatim for lookups). */
  readonly publickey: string;
  /** Base64 RSA-SHA512 signature over the lowercase name, exactly as sent. */
  readonly signature: string;
}

/** Decoding failures, worded as the error strings of the HTTP answers. */
export type RegistrationDecodeError = 'invalid request' | 'invalid addr' | 'no owner' | 'publickey not found or invalid' | 'signature not found or invalid';

function field(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Decodes a registration body. jamid sends `{"addr","owner","signature","publickey"}` with no
 * spaces; any JSON object with those string fields is accepted. Size is bounded by the caller.
 */
export function decodeRegistration(bytes: Uint8Array): Result<RegistrationRequest, RegistrationDecodeError> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return err('invalid request');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return err('invalid request');
  const body = parsed as Record<string, unknown>;

  const addr = decodeHexId(field(body, 'addr') ?? '');
  if (!addr.ok) return err('invalid addr');
  const owner = decodeHexId(field(body, 'owner') ?? '');
  if (!owner.ok) return err('no owner');
  const publickey = field(body, 'publickey') ?? '';
  if (publickey === '') return err('publickey not found or invalid');
  const signature = field(body, 'signature') ?? '';
  if (signature === '') return err('signature not found or invalid');
  return ok({ addr: addr.value, owner: owner.value, publickey, signature });
}

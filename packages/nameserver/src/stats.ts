/** Why a request was refused; each has a counter in `status().rejected`. */
export const REJECT_REASONS = [
  'invalid-name',
  'invalid-address',
  'invalid-request',
  'invalid-addr',
  'invalid-owner',
  'invalid-publickey',
  'key-size',
  'invalid-signature',
  'addr-mismatch',
  'bad-signature',
  'name-taken',
  'addr-has-name',
  'body-too-large',
  'registry-full',
  'busy',
  'unauthorized',
  'admin-disabled',
  'method-not-allowed',
  'not-found',
  'storage-error',
  'not-open',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** Counters the name service keeps; `status()` reports a copy. */
export interface Counters {
  lookupsByName: number;
  lookupsByAddr: number;
  found: number;
  notFound: number;
  registered: number;
  /** Same name, same address again: answered 200 without a write (clients retry). */
  reregistered: number;
  removed: number;
  imported: number;
  /** Registration attempts refused by the per-client rate limit (or a full client table). */
  rateLimited: number;
  rejected: Record<RejectReason, number>;
}

export function createCounters(): Counters {
  return {
    lookupsByName: 0,
    lookupsByAddr: 0,
    found: 0,
    notFound: 0,
    registered: 0,
    reregistered: 0,
    removed: 0,
    imported: 0,
    rateLimited: 0,
    rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>,
  };
}

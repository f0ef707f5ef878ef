/**
 * Value types a storer knows (§13.1), with the rules OpenDHT's `SecureDht` registers on every
 * `dhtnode` and Jami client: how long a value lives and which store and edit rules apply.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Value type ids with their own rules. */
export const ValueType = {
  userData: 0,
  dhtMessage: 1,
  serviceAnnouncement: 2,
  imMessage: 3,
  trustRequest: 4,
  iceCandidates: 5,
  certificate: 8,
} as const;

/**
 * How the storer treats a type:
 * - `secure`: OpenDHT's registered types 0, 1, 3, 4, 5: a signed value must verify to be stored;
 *   a signed value can be edited by its owner (higher `seq`); an unsigned one never.
 * - `certificate`: type 8: the data must be a certificate for the key; replaceable by a
 *   certificate for the same public key.
 * - `plain`: type 2 and every unregistered type: OpenDHT applies its bare default rules (size
 *   only, never editable). We still refuse signed values whose signature does not verify: every
 *   OpenDHT reader drops those anyway, so refusing them changes nothing a peer can observe.
 */
export type TypeRule = 'secure' | 'certificate' | 'plain';

interface TypeInfo {
  lifetimeMs: number;
  rule: TypeRule;
}

const TYPES: ReadonlyMap<number, TypeInfo> = new Map([
  [ValueType.userData, { lifetimeMs: 10 * MINUTE, rule: 'secure' }],
  [ValueType.dhtMessage, { lifetimeMs: 5 * MINUTE, rule: 'secure' }],
  // OpenDHT rewrites a type-2 value with the sender's observed address (the data is a raw host
  // `struct sockaddr`). We keep it as received: nothing on a Jami network uses type 2, and
  // rewriting would need the codec to re-encode a value we otherwise forward byte for byte.
  [ValueType.serviceAnnouncement, { lifetimeMs: 15 * MINUTE, rule: 'plain' }],
  [ValueType.imMessage, { lifetimeMs: 5 * MINUTE, rule: 'secure' }],
  [ValueType.trustRequest, { lifetimeMs: 7 * DAY, rule: 'secure' }],
  [ValueType.iceCandidates, { lifetimeMs: 1 * MINUTE, rule: 'secure' }],
  [ValueType.certificate, { lifetimeMs: 7 * DAY, rule: 'certificate' }],
]);

/** Unregistered types (Jami's 9 "user profile" among them) live like user data: 10 minutes. */
const UNKNOWN: TypeInfo = { lifetimeMs: 10 * MINUTE, rule: 'plain' };

/** Lifetime of a value of type `type`, counted from its creation or last refresh. */
export function lifetimeMs(type: number): number {
  return (TYPES.get(type) ?? UNKNOWN).lifetimeMs;
}

export function typeRule(type: number): TypeRule {
  return (TYPES.get(type) ?? UNKNOWN).rule;
}

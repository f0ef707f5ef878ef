/** Options of `createNameServer`. Every field is optional; the defaults suit a box on a home/office LAN. */
export interface NameServerOptions {
  /**
   * Path prefix the routes are mounted under, e.g. `/ns` for `http://box/ns/name/alice`. Must be
   * lowercase: newer daemons lowercase the whole server URL.
   * @default ''
   */
  pathPrefix?: string;
  /**
   * Largest request body accepted, in bytes. jamid's registration with a 4096-bit key is 1884 bytes.
   * @default 8192
   */
  maxBodyBytes?: number;
  /**
   * Registration attempts (valid or not) accepted per client IP per window.
   * @default 10
   */
  registrationsPerWindow?: number;
  /**
   * Length of the rate-limit window, in ms.
   * @default 60000
   */
  rateWindowMs?: number;
  /**
   * Clients tracked by the rate limiter at once (IPv4 address, IPv6 /64, link-local address); when
   * full, the entry with the fewest attempts makes room, so the table cannot be filled to lock others out.
   * @default 4096
   */
  maxTrackedClients?: number;
  /**
   * Most names the registry holds; further registrations and imports are refused.
   * @default 100000
   */
  maxNames?: number;
  /**
   * Registrations waiting for the write lock at once; more are answered 503.
   * @default 64
   */
  maxPendingRegistrations?: number;
  /**
   * Smallest RSA modulus accepted, in bits. Jami account keys are 4096 bits.
   * @default 2048
   */
  minKeyBits?: number;
  /**
   * Largest RSA modulus accepted, in bits; bounds the CPU a forged registration costs.
   * @default 8192
   */
  maxKeyBits?: number;
  /**
   * Bearer token that enables `DELETE /name/<name>` for the box's operator. Without it the route
   * answers 403 and names can only be removed through `removeName()`.
   * @default undefined
   */
  adminToken?: string;
}

export type ResolvedOptions = Required<Omit<NameServerOptions, 'adminToken'>> & { adminToken: string | undefined };

export const DEFAULT_OPTIONS: Readonly<Required<Omit<NameServerOptions, 'adminToken'>>> = {
  pathPrefix: '',
  maxBodyBytes: 8192,
  registrationsPerWindow: 10,
  rateWindowMs: 60_000,
  maxTrackedClients: 4096,
  maxNames: 100_000,
  maxPendingRegistrations: 64,
  minKeyBits: 2048,
  maxKeyBits: 8192,
};

/** Fills defaults and rejects values that cannot work, all problems listed at once. */
export function resolveOptions(options: NameServerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options), adminToken: options.adminToken };
  const problems: string[] = [];
  if (resolved.pathPrefix !== '' && !/^(\/[a-z0-9._~-]+)+$/.test(resolved.pathPrefix)) {
    problems.push('pathPrefix must be empty or like "/ns" (lowercase, no trailing slash)');
  }
  for (const key of [
    'maxBodyBytes',
    'registrationsPerWindow',
    'rateWindowMs',
    'maxTrackedClients',
    'maxNames',
    'maxPendingRegistrations',
    'minKeyBits',
    'maxKeyBits',
  ] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 1) problems.push(`${key} must be a positive integer`);
  }
  if (resolved.minKeyBits > resolved.maxKeyBits) problems.push('minKeyBits must not exceed maxKeyBits');
  if (resolved.adminToken !== undefined && resolved.adminToken.length < 16) problems.push('adminToken must be at least 16 characters');
  if (problems.length > 0) throw new RangeError(`invalid name server options: ${problems.join('; ')}`);
  return resolved;
}

function stripUndefined(options: NameServerOptions): Partial<NameServerOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<NameServerOptions>;
}

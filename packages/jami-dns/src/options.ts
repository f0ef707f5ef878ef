/** Options of the Jami DNS responder, each with its default. */

export interface Upstream {
  /** An IP address (the responder never resolves names itself). */
  host: string;
  port: number;
}

export interface JamiDnsOptions {
  /**
   * Resolver that gets every name the box does not answer itself. null: those names are
   * answered REFUSED at once (and ns.jami.net NXDOMAIN). @default null
   */
  upstream: Upstream | null;
  /**
   * When set, the only address clients are given (the one the server socket is bound to).
   * null: the box's address on each client's subnet. @default null
   */
  fixedAddress: string | null;
  /** TTL of the A/AAAA answers: short, because the box's addresses can change. @default 60 */
  ttlSeconds: number;
  /**
   * Largest query accepted (bytes). A stub resolver's query is one question plus EDNS, well
   * under 512; larger datagrams are answered FORMERR. @default 512
   */
  maxQueryBytes: number;
  /** Largest upstream reply relayed (bytes; EDNS allows up to 4096 over UDP). @default 4096 */
  maxReplyBytes: number;
  /** Queries per second per source address (refilled continuously). @default 20 */
  queriesPerSecond: number;
  /** Burst per source address (a phone resolving everything at wake-up). @default 100 */
  queryBurst: number;
  /** Source addresses tracked for rate limiting; the least recently seen is forgotten. @default 4096 */
  maxSources: number;
  /** Queries forwarded and not yet answered; beyond this, SERVFAIL at once. @default 256 */
  maxPendingForwards: number;
  /** An upstream silent this long gets the client a SERVFAIL (stubs wait 5 s). @default 2000 */
  forwardTimeoutMs: number;
  /** Window of "distinct devices that asked for a name". @default 3600000 (one hour) */
  deviceWindowMs: number;
  /** Devices remembered per name; the least recently seen is forgotten. @default 4096 */
  maxDevicesPerName: number;
  /** How long an interface table read is reused (interfaces come and go). @default 1000 */
  interfaceCacheMs: number;
}

export const DEFAULT_OPTIONS: Readonly<JamiDnsOptions> = {
  upstream: null,
  fixedAddress: null,
  ttlSeconds: 60,
  maxQueryBytes: 512,
  maxReplyBytes: 4096,
  queriesPerSecond: 20,
  queryBurst: 100,
  maxSources: 4096,
  maxPendingForwards: 256,
  forwardTimeoutMs: 2000,
  deviceWindowMs: 3_600_000,
  maxDevicesPerName: 4096,
  interfaceCacheMs: 1000,
};

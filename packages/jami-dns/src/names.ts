/** Which Jami names the box answers, and how. Everything not listed here is forwarded or refused. */

export type NamePolicy =
  /** Answered with the box's own address on the client's subnet (A and AAAA). */
  | 'box'
  /** Answered NXDOMAIN at once, even when an upstream is configured. */
  | 'nxdomain'
  /** Forwarded when an upstream is configured, otherwise NXDOMAIN at once. */
  | 'upstream-or-nxdomain';

/**
 * - `bootstrap.jami.net`: Jami's default DHT bootstrap (UDP 4222): the box's DHT node.
 * - `turn.jami.net`: Jami's default TURN server (ring/ring, realm ring): the box's coturn.
 * - `dhtproxy.jami.net`: where Jami falls back for the DHT proxy (a random TCP port 80–95) when
 *   the proxy list cannot be fetched: the box's proxy.
 * - `config.jami.net`: serves that proxy list; NXDOMAIN makes the download fail at once instead
 *   of after a connect timeout, so the fallback above is taken immediately.
 * - `ns.jami.net`: the name server, reached over HTTPS and checked against the OS trust store
 *   with no fallback to HTTP. The box cannot present a certificate for it, so pointing the name at
 *   the box could never work; NXDOMAIN fails the lookup at once (no TCP connect, no TLS error
 *   after a timeout). With an upstream (a LAN that has the Internet) it is forwarded, so the real
 *   name server keeps working.
 */
export const JAMI_NAMES: Readonly<Record<string, NamePolicy>> = {
  'bootstrap.jami.net': 'box',
  'turn.jami.net': 'box',
  'dhtproxy.jami.net': 'box',
  'config.jami.net': 'nxdomain',
  'ns.jami.net': 'upstream-or-nxdomain',
};

export type JamiName = keyof typeof JAMI_NAMES;

export function policyOf(name: string): NamePolicy | undefined {
  return Object.hasOwn(JAMI_NAMES, name) ? JAMI_NAMES[name] : undefined;
}

/**
 * The `bootstrap` option: nodes to ping while we know no good node. Callers that already hold a
 * host and a port (the appliance's config) pass `{ host, port }`; text is accepted for scripts and
 * parsed once here, when the node is created. A malformed entry is an error for the caller, not
 * something to drop: a typo in a bootstrap list would otherwise leave the box alone silently.
 */
import { DEFAULT_PORT } from '../node-types.js';

/** One bootstrap node: a host name or an address (IPv6 without brackets) and a UDP port. */
export interface BootstrapNode {
  host: string;
  port: number;
}

/** Thrown by `createDhtNode` for a bootstrap entry it cannot use; `entry` is the index. */
export class BootstrapEntryError extends RangeError {
  override readonly name = 'BootstrapEntryError';
  constructor(
    readonly entry: number,
    why: string,
  ) {
    super(`bootstrap[${entry}]: ${why}`);
  }
}

const HOST_NAME = /^[A-Za-z0-9.-]{1,253}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 address; the port defaults to 4222. */
export function parseBootstrapText(text: string): BootstrapNode | string {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracket) {
    if (!IPV6.test(bracket[1]!)) return `"${text.slice(0, 80)}": not an IPv6 address in brackets`;
    return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : DEFAULT_PORT };
  }
  const colons = text.split(':').length - 1;
  if (colons > 1) return IPV6.test(text) ? { host: text, port: DEFAULT_PORT } : `"${text.slice(0, 80)}": not an IPv6 address (write [ADDR]:PORT)`;
  const [host = '', portText] = text.split(':');
  if (!HOST_NAME.test(host)) return `"${text.slice(0, 80)}": not a host name or address`;
  if (portText === undefined) return { host, port: DEFAULT_PORT };
  return /^\d{1,5}$/.test(portText) ? { host, port: Number(portText) } : `"${text.slice(0, 80)}": port is not a number`;
}

/** Checks and normalises the option; throws `BootstrapEntryError` for the first bad entry. */
export function bootstrapNodes(list: readonly (string | BootstrapNode)[]): BootstrapNode[] {
  return list.map((entry, i) => {
    const node = typeof entry === 'string' ? parseBootstrapText(entry) : entry;
    if (typeof node === 'string') throw new BootstrapEntryError(i, node);
    if (typeof node.host !== 'string' || node.host === '') throw new BootstrapEntryError(i, 'host is empty');
    if (!validPort(node.port)) throw new BootstrapEntryError(i, `port ${String(node.port)} is not 1..65535`);
    return { host: node.host, port: node.port };
  });
}

/** Parsers for the structured values in the configuration: `HOST:PORT` and `turn://` URLs. */
import { preview } from './preview.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface TurnServer {
  username: string;
  password: string;
  host: string;
  port: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const HOST_RE = /^[A-Za-z0-9.-]{1,253}$/;

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/**
 * `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to `defaultPort` (4222 for the
 * DHT, as Jami does when a bootstrap entry has none).
 */
export function parseHostPort(raw: unknown, defaultPort: number): ParseResult<HostPort> {
  const bad = (why: string): ParseResult<HostPort> => ({ ok: false, error: `must be HOST:PORT, ${why} (got ${preview(raw)})` });
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 300) return bad('a non-empty string');
  let host: string;
  let portText: string | undefined;
  if (raw.startsWith('[')) {
    const end = raw.indexOf(']');
    if (end < 0) return bad('missing "]" after an IPv6 address');
    host = raw.slice(1, end);
    const rest = raw.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return bad('unexpected text after "]"');
    portText = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-fA-F:.]{2,45}$/.test(host)) return bad('invalid IPv6 address');
  } else {
    const parts = raw.split(':');
    if (parts.length > 2) return bad('write IPv6 addresses as [ADDR]:PORT');
    host = parts[0] ?? '';
    portText = parts[1];
    if (!HOST_RE.test(host)) return bad('invalid host name');
  }
  const port = portText === undefined ? defaultPort : parsePort(portText);
  if (port === null) return bad('port must be 1..65535');
  return { ok: true, value: { host, port } };
}

/** `turn://USER:PASSWORD@HOST[:PORT]` (user and password percent-decoded; port defaults to 3478). */
export function parseTurnUrl(raw: unknown): ParseResult<TurnServer> {
  const bad = (why: string): ParseResult<TurnServer> => ({
    ok: false,
    // The password is not echoed: error messages end up in logs.
    error: `must be turn://USER:PASSWORD@HOST:PORT, ${why} (got ${preview(typeof raw === 'string' ? raw.replace(/:[^:@/]*@/, ':***@') : raw)})`,
  });
  if (typeof raw !== 'string' || raw.length > 1024) return bad('a string');
  const m = /^turn:\/\/([^:@/]*):([^@/]*)@([^/?#]+)$/.exec(raw);
  if (!m) return bad('with user and password');
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(m[1] ?? '');
    password = decodeURIComponent(m[2] ?? '');
  } catch {
    return bad('bad percent-encoding');
  }
  if (username === '' || password === '') return bad('user and password must not be empty');
  const hp = parseHostPort(m[3], 3478);
  if (!hp.ok) return bad('bad HOST:PORT');
  return { ok: true, value: { username, password, ...hp.value } };
}

/** Formats a HostPort the way Jami's bootstrap field and URLs expect (IPv6 in brackets). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

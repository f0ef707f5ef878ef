import { isIPv6 } from 'node:net';
import { err, ok, type Result } from '../codec/result.js';

/** A server to probe, parsed from `turn://USER:PASSWORD@HOST:PORT`. */
export interface TurnServerConfig {
  /** The URL without the password, safe to show and log. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** A server given as values rather than a URL (the appliance's configuration holds these). */
export interface TurnServerEntry {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** Jami dials 3478 when the account's TURN address has no port (PJ_STUN_PORT). */
export const DEFAULT_TURN_PORT = 3478;

/**
 * Parses and validates one server URL. The realm is not part of it: the server's 401 names it.
 * Returns a message meant for the person who typed the URL.
 */
export function parseTurnUrl(text: string): Result<TurnServerConfig> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return err(`"${redact(text)}" is not a URL; expected turn://USER:PASSWORD@HOST:PORT`);
  }
  const shown = redact(text);
  if (url.protocol !== 'turn:') return err(`"${shown}": scheme must be turn: (turns:/TLS is not probed)`);
  if (url.username === '' || url.password === '') return err(`"${shown}": user and password are required`);
  if (url.hostname === '') return err(`"${shown}": host is missing`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return err(`"${shown}": unexpected path, query or fragment`);
  }
  const port = url.port === '' ? DEFAULT_TURN_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return err(`"${shown}": port must be 1-65535`);
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return err(`"${shown}": bad percent-encoding in user or password`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostPart = isIPv6(host) ? `[${host}]` : host;
  return ok({ url: `turn://${url.username}@${hostPart}:${port}`, host, port, username, password });
}

/** Checks a server given as values and derives its display URL (no password). */
export function turnServerConfig(entry: TurnServerEntry): Result<TurnServerConfig> {
  const host = entry.host.startsWith('[') && entry.host.endsWith(']') ? entry.host.slice(1, -1) : entry.host;
  const hostPart = isIPv6(host) ? `[${host}]` : host;
  const shown = `turn://${encodeURIComponent(entry.username)}@${hostPart}:${entry.port}`;
  if (host === '' || /[\s/@?#]/.test(host)) return err(`"${shown}": host is missing or invalid`);
  if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535) return err(`"${shown}": port must be 1-65535`);
  if (entry.username === '' || entry.password === '') return err(`"${shown}": user and password are required`);
  return ok({ url: shown, host, port: entry.port, username: entry.username, password: entry.password });
}

/** The URL with any password replaced, for error messages. */
function redact(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

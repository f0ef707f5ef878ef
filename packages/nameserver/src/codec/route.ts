import { decodeHexId } from './hex-id.js';
import { decodeNameSegment } from './name.js';
import { err, ok, type Result } from './result.js';

/** Per-name fields the reference server exposes as `/name/<name>/<field>`. */
export type NameField = 'publickey' | 'signature' | 'owner';

export type Route =
  | { readonly kind: 'lookup-name'; readonly name: string }
  | { readonly kind: 'name-field'; readonly name: string; readonly field: NameField }
  | { readonly kind: 'lookup-addr'; readonly addr: string }
  | { readonly kind: 'register'; readonly name: string }
  | { readonly kind: 'remove'; readonly name: string };

/** Why a request on one of our paths cannot be served; the HTTP layer maps each to a status. */
export type RouteError = 'invalid name' | 'invalid address' | 'method not allowed' | 'not found';

/** Longest request target we look at; real ones are under 100 bytes. */
const MAX_TARGET = 2048;

const NAME_FIELDS: ReadonlySet<string> = new Set<NameField>(['publickey', 'signature', 'owner']);

/** The path part of a request target (origin-form `/p?q` or absolute-form `http://h/p?q`). */
function pathOf(target: string): string | undefined {
  if (target.startsWith('/')) {
    const cut = target.search(/[?#]/);
    return cut === -1 ? target : target.slice(0, cut);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return undefined;
  }
}

/**
 * Maps a request to a name-server route. `undefined` means the path is not the name server's
 * (the appliance tries its other handlers); an error means it is ours but cannot be served.
 * `prefix` is the mount point (`''` or e.g. `/ns`, lowercase: newer daemons lowercase the URL).
 */
export function decodeRoute(method: string, target: string, prefix: string): Result<Route, RouteError> | undefined {
  if (target.length > MAX_TARGET) {
    // Still ours if it is under /name/ or /addr/: jamid shows a 404 to a registration as "name
    // already taken", so an overlong name must get the same 400 as any other invalid name.
    if (target.startsWith(`${prefix}/name/`)) return err('invalid name');
    if (target.startsWith(`${prefix}/addr/`)) return err('invalid address');
    return undefined;
  }
  const path = pathOf(target);
  if (path === undefined || !path.startsWith(prefix + '/')) return undefined;
  const segments = path.slice(prefix.length + 1).split('/');
  const [collection, raw, field, ...extra] = segments;
  if ((collection !== 'name' && collection !== 'addr') || raw === undefined) return undefined;

  if (collection === 'addr') {
    if (field !== undefined) return err('not found');
    if (method !== 'GET') return err('method not allowed');
    let text: string;
    try {
      text = decodeURIComponent(raw);
    } catch {
      return err('invalid address');
    }
    const addr = decodeHexId(text);
    return addr.ok ? ok({ kind: 'lookup-addr', addr: addr.value }) : err('invalid address');
  }

  if (extra.length > 0 || (field !== undefined && !NAME_FIELDS.has(field))) {
    // A POST must never get 404 on /name/...: jamid reads 404 as "name already taken".
    return err(method === 'GET' ? 'not found' : 'method not allowed');
  }
  if (field !== undefined && method !== 'GET') return err('method not allowed');
  if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') return err('method not allowed');
  const name = decodeNameSegment(raw);
  if (!name.ok) return err('invalid name');
  if (field !== undefined) return ok({ kind: 'name-field', name: name.value, field: field as NameField });
  if (method === 'GET') return ok({ kind: 'lookup-name', name: name.value });
  if (method === 'POST') return ok({ kind: 'register', name: name.value });
  return ok({ kind: 'remove', name: name.value });
}

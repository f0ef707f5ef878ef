import { decodeHexId } from './hex-id.js';
import { normalizeName } from './name.js';
import { err, ok, type Result } from './result.js';

/** One registered name, as stored and as exported. */
export interface NameRecord {
  /** Lowercase name. */
  readonly name: string;
  /** Jami ID, 40 lowercase hex, no prefix. */
  readonly addr: string;
  /** Owner address, 40 lowercase hex, no prefix. */
  readonly owner: string;
  /** Base64 PEM of the account key, verbatim from the registration. */
  readonly publickey: string;
  /** Base64 signature over the name, verbatim from the registration. */
  readonly signature: string;
  /** Clock time (ms) of the registration on the box that first accepted it. */
  readonly registeredAt: number;
  /** Box (40 hex) that acknowledged the registration, when boxes replicate their registries. */
  readonly origin?: string;
  /** False when some known box could not be asked before the registration was acknowledged. */
  readonly confirmed?: boolean;
}

/** Upper bound of a stored or imported base64 field: a 16384-bit key's PEM is under 3 kB. */
const MAX_FIELD = 8192;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD ? value : undefined;
}

/** Validates the shape of a record from storage or an export file (crypto is checked elsewhere). */
export function decodeRecord(value: unknown): Result<NameRecord, 'invalid record'> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('invalid record');
  const v = value as Record<string, unknown>;
  const name = normalizeName(typeof v['name'] === 'string' ? v['name'] : '');
  const addr = decodeHexId(typeof v['addr'] === 'string' ? v['addr'] : '');
  const owner = decodeHexId(typeof v['owner'] === 'string' ? v['owner'] : '');
  const publickey = text(v['publickey']);
  const signature = text(v['signature']);
  const registeredAt = v['registeredAt'];
  if (!name.ok || !addr.ok || !owner.ok || publickey === undefined || signature === undefined) return err('invalid record');
  if (typeof registeredAt !== 'number' || !Number.isFinite(registeredAt) || registeredAt < 0) return err('invalid record');
  const origin = v['origin'] === undefined ? undefined : decodeHexId(typeof v['origin'] === 'string' ? v['origin'] : '');
  const confirmed = v['confirmed'];
  if ((origin !== undefined && !origin.ok) || (confirmed !== undefined && typeof confirmed !== 'boolean')) return err('invalid record');
  return ok({
    name: name.value,
    addr: addr.value,
    owner: owner.value,
    publickey,
    signature,
    registeredAt,
    ...(origin?.ok ? { origin: origin.value } : {}),
    ...(typeof confirmed === 'boolean' ? { confirmed } : {}),
  });
}

/** Storage form: JSON text with the fields in a fixed order. */
export function encodeRecord(record: NameRecord): string {
  const { name, addr, owner, publickey, signature, registeredAt, origin, confirmed } = record;
  return JSON.stringify({ name, addr, owner, publickey, signature, registeredAt, origin, confirmed });
}

export function decodeStoredRecord(stored: string): Result<NameRecord, 'invalid record'> {
  try {
    return decodeRecord(JSON.parse(stored));
  } catch {
    return err('invalid record');
  }
}

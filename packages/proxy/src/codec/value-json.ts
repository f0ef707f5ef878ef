/**
 * A DHT value in the proxy's JSON form ↔ the DHT package's binary value. Fields travel
 * unchanged (the signature covers data, type, user type, seq, recipient and owner key), only
 * their spelling changes: base64 for bytes, PEM text for the owner key, a decimal string for
 * the 64-bit id.
 */
import type { Value, ValueBody } from '@lanbox/dht';
import { isObject, JsonNumber, type JsonIn, type JsonOut, writeJson } from './json.js';
import { fail, ok, type Result } from './result.js';

const MAX_ID = (1n << 64n) - 1n;

/** Push data attached to a permanent put (`"permanent": {...}`). */
export interface PutPush {
  token: string;
  clientId: string;
  sessionId: string;
  platform: string;
  topic: string;
}

export interface ParsedPut {
  value: Omit<Value, 'packed'>;
  /** Present when the body asked for a permanent put; `push` when it carried push data. */
  permanent?: { push?: PutPush };
}

/** `stoull`-like: leading decimal digits of a string, or an integral JSON number; anything else 0. */
export function readId(v: JsonIn | undefined): bigint {
  let digits: string | undefined;
  if (typeof v === 'string') digits = /^\s*\+?(\d+)/.exec(v)?.[1];
  else if (v instanceof JsonNumber && /^\d+$/.test(v.text)) digits = v.text;
  if (digits === undefined || digits.length > 20) return 0n;
  const id = BigInt(digits);
  return id > MAX_ID ? 0n : id;
}

function readInt(v: JsonIn | undefined, max: number): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof JsonNumber) || !/^-?\d+$/.test(v.text)) return null;
  const n = Number(v.text);
  return n >= 0 && n <= max ? n : null;
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const str = (v: JsonIn | undefined): string => (typeof v === 'string' ? v : '');

/** PEM text (a trailing NUL, as OpenDHT ≤ 4.2 sends, is accepted) or base64 DER → DER bytes. */
export function ownerFromText(text: string): Uint8Array | null {
  const pem = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(text);
  const der = b64(pem !== null ? pem[1]!.replace(/\s+/g, '') : text);
  // A DER SubjectPublicKeyInfo is a SEQUENCE.
  return der.length >= 16 && der[0] === 0x30 ? der : null;
}

export function ownerToPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

/** Read a put body (already parsed JSON). */
export function valueFromJson(json: JsonIn): Result<ParsedPut> {
  if (!isObject(json)) return fail('not an object');
  const id = readId(json.id);
  const prio = readInt(json.prio, 0xffffffff);
  if (prio === null) return fail('bad prio');
  const pt = typeof json.pt === 'string' && json.pt !== '' ? json.pt : undefined;
  const value: Omit<Value, 'packed'> = { id };
  if (prio) value.priority = prio;
  if (pt !== undefined) value.pushType = pt;
  if (typeof json.cypher === 'string') {
    value.cypher = b64(json.cypher);
  } else {
    const type = readInt(json.type, 0xffff);
    const seq = readInt(json.seq, 0xffff);
    if (type === null || seq === null) return fail('bad type or seq');
    const body: ValueBody = { type: type ?? 0, data: typeof json.data === 'string' ? b64(json.data) : new Uint8Array(0) };
    if (typeof json.utype === 'string' && json.utype !== '') body.userType = json.utype;
    if (typeof json.owner === 'string') {
      const owner = ownerFromText(json.owner);
      if (owner === null) return fail('bad owner key');
      body.owner = owner;
      body.seq = seq ?? 0;
    }
    if (typeof json.to === 'string') {
      if (!/^[0-9a-fA-F]{40}$/.test(json.to)) return fail('bad recipient');
      body.to = new Uint8Array(Buffer.from(json.to, 'hex'));
    }
    value.body = body;
    if (typeof json.sig === 'string') value.signature = b64(json.sig);
  }
  const parsed: ParsedPut = { value };
  const permanent = json.permanent;
  if (permanent !== undefined) {
    if (isObject(permanent)) {
      parsed.permanent = {
        push: {
          token: str(permanent.key),
          clientId: str(permanent.client_id),
          sessionId: str(permanent.session_id),
          platform: str(permanent.platform),
          topic: str(permanent.topic),
        },
      };
      if (parsed.permanent.push!.token === '') delete parsed.permanent.push;
    } else {
      parsed.permanent = {};
    }
  }
  return ok(parsed);
}

/** The JSON object of a value, as the proxy writes it (`expired` only on listen lines). */
export function valueToJsonObject(v: Value, expired = false): { [key: string]: JsonOut | undefined } {
  const out: { [key: string]: JsonOut | undefined } = { id: v.id.toString() };
  if (v.priority) out.prio = v.priority;
  if (v.pushType) out.pt = v.pushType;
  if (expired) out.expired = true;
  if (v.cypher !== undefined) {
    out.cypher = Buffer.from(v.cypher).toString('base64');
    return out;
  }
  const body = v.body ?? { type: 0, data: new Uint8Array(0) };
  out.type = body.type;
  out.data = Buffer.from(body.data).toString('base64');
  if (body.userType) out.utype = body.userType;
  if (body.owner !== undefined) {
    out.owner = ownerToPem(body.owner);
    out.seq = body.seq ?? 0;
  }
  if (body.to !== undefined) out.to = Buffer.from(body.to).toString('hex');
  if (v.signature !== undefined) out.sig = Buffer.from(v.signature).toString('base64');
  return out;
}

/** One line of a get or listen body: the value's JSON and a newline. */
export function valueLine(v: Value, expired = false): string {
  return `${writeJson(valueToJsonObject(v, expired))}\n`;
}

/**
 * JSON as the OpenDHT proxy speaks it. Reading keeps every integer's digits (value ids are
 * 64-bit and would lose precision as JS numbers). Writing follows jsoncpp's compact style:
 * keys sorted byte-wise, no spaces, non-ASCII escaped as \uXXXX — so our bodies compare
 * byte-for-byte with the captures of a real OpenDHT proxy.
 */
import { parse as losslessParse } from 'lossless-json';
import { fail, ok, type Result } from './result.js';

/** A JSON number read from a request: its exact text. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonIn = null | boolean | string | JsonNumber | JsonIn[] | { [key: string]: JsonIn };

/** Parse JSON text; numbers become `JsonNumber` (exact digits). Never throws. */
export function parseJson(text: string): Result<JsonIn> {
  try {
    return ok(losslessParse(text, null, (digits: string) => new JsonNumber(digits)) as JsonIn);
  } catch (e) {
    // lossless-json throws SyntaxError on bad input and RangeError on very deep nesting.
    return fail(e instanceof Error ? e.message.slice(0, 200) : 'invalid JSON');
  }
}

export function isObject(v: JsonIn | undefined): v is { [key: string]: JsonIn } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** A value to write: `Float` marks a number jsoncpp prints as a double (`0.0`). */
export class Float {
  constructor(readonly value: number) {}
}
export type JsonOut = null | boolean | string | number | bigint | Float | JsonOut[] | { [key: string]: JsonOut | undefined };

function str(s: string): string {
  // JSON.stringify escapes controls and quotes; jsoncpp also escapes everything above 0x7e.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Serialize like jsoncpp's FastWriter with sorted keys; `undefined` members are left out. */
export function writeJson(v: JsonOut): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return str(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (v instanceof Float) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (Array.isArray(v)) return `[${v.map(writeJson).join(',')}]`;
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${str(k)}:${writeJson(v[k] as JsonOut)}`).join(',')}}`;
}

/**
 * Latin1 (one char per byte) conversions between bytes and strings: how stored values and
 * already-encoded msgpack are held (a heap string costs a 16-byte header where a Uint8Array costs
 * three objects). Node's native Buffer methods are called on a plain Uint8Array: a memcpy each way,
 * where `Buffer.from(view)` first cost a Buffer object per call (~300 ns of a put) and a
 * charCodeAt loop four times the copy. The loops are for runtimes without them.
 */
const proto = globalThis.Buffer?.prototype as unknown as
  | {
      latin1Slice?: (this: Uint8Array, start: number, end: number) => string;
      latin1Write?: (this: Uint8Array, s: string, offset: number, length: number) => number;
    }
  | undefined;
const nativeSlice = proto?.latin1Slice;
const nativeWrite = proto?.latin1Write;

/** `bytes[start..end)` as a latin1 string: a copy that owns its bytes (never a view on a datagram). */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (nativeSlice !== undefined) return nativeSlice.call(bytes, start, end);
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCharCode(...bytes.subarray(i, Math.min(i + 4096, end)));
  return s;
}

/** The bytes of `s` (one byte per char, as {@link latin1Text} made them), from `start` to its end, in a plain Uint8Array of their own. */
export function latin1Bytes(s: string, start = 0): Uint8Array {
  const out = new Uint8Array(s.length - start);
  // substring() of a flat string is a slice of it, not a copy.
  latin1Write(out, 0, start === 0 ? s : s.substring(start));
  return out;
}

/** Copies `s` into `buf` at `pos` (the caller made room); short strings by the loop, which beats the native call's overhead. */
export function latin1Write(buf: Uint8Array, pos: number, s: string): void {
  const len = s.length;
  if (nativeWrite !== undefined && len > 16) nativeWrite.call(buf, s, pos, len);
  else for (let i = 0; i < len; i++) buf[pos + i] = s.charCodeAt(i) & 0xff;
}

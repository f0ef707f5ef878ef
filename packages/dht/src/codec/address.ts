/**
 * IP addresses between their raw network-order bytes (as carried in `sa`, `n4`, `n6`) and the
 * textual form the rest of the node uses (`127.0.0.1`, `::1`). Hand-written instead of going
 * through `node:net` so that decoding a node list costs no string parsing on the hot path.
 */

/** Text of a 4-byte IPv4 address read from `bytes` at `offset`. */
export function ipv4ToString(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

const groups = new Uint16Array(8);

/** RFC 5952 text of a 16-byte IPv6 address (longest run of ≥ 2 zero groups shortened to `::`). */
export function ipv6ToString(bytes: Uint8Array, offset = 0): string {
  for (let i = 0; i < 8; i++) groups[i] = (bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!;
  // IPv4-mapped addresses keep their dotted tail, as Node.js prints them.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${ipv4ToString(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = '';
  let needColon = false;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      needColon = false;
      continue;
    }
    if (needColon) s += ':';
    s += groups[i]!.toString(16);
    needColon = true;
  }
  return s;
}

/** Raw address bytes (4 or 16) as text; `undefined` for any other length. */
export function addressFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return ipv4ToString(bytes);
  if (bytes.length === 16) return ipv6ToString(bytes);
  return undefined;
}

/** Parse dotted-quad IPv4 text into `out` at `offset`; false when it is not one. */
export function parseIpv4(text: string, out: Uint8Array, offset = 0): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Parse IPv6 text (with `::` and an optional dotted IPv4 tail; zone ignored) into 16 bytes at `offset`. */
export function parseIpv6(text: string, out: Uint8Array, offset = 0): boolean {
  let end = text.indexOf('%');
  if (end === -1) end = text.length;
  const groups = new Array<number>(8);
  let count = 0;
  let gap = -1; // group index where `::` stands
  let i = 0;
  if (end >= 2 && text.charCodeAt(0) === 0x3a && text.charCodeAt(1) === 0x3a) {
    gap = 0;
    i = 2;
  } else if (end >= 1 && text.charCodeAt(0) === 0x3a) {
    return false;
  }
  while (i < end) {
    if (count === 8) return false;
    const groupStart = i;
    let value = 0;
    let digits = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else break;
      value = value * 16 + d;
      digits++;
      i++;
    }
    if (i < end && text.charCodeAt(i) === 0x2e) {
      // Dotted IPv4 tail: takes the last two groups.
      if (count > 6) return false;
      const v4 = new Uint8Array(4);
      if (!parseIpv4(text.slice(groupStart, end), v4)) return false;
      groups[count++] = (v4[0]! << 8) | v4[1]!;
      groups[count++] = (v4[2]! << 8) | v4[3]!;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (gap !== -1) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap === -1 ? count !== 8 : count > 7) return false;
  const missing = 8 - count;
  for (let g = 0, src = 0; g < 8; g++) {
    let v: number;
    if (gap !== -1 && g >= gap && g < gap + missing) v = 0;
    else v = groups[src++]!;
    out[offset + 2 * g] = v >>> 8;
    out[offset + 2 * g + 1] = v & 0xff;
  }
  return true;
}

/**
 * Raw bytes of a textual address: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped IPv6 stays 16
 * bytes). `undefined` when the text is not an IP address.
 */
export function addressToBytes(text: string): Uint8Array | undefined {
  if (text.includes(':')) {
    const out = new Uint8Array(16);
    return parseIpv6(text, out) ? out : undefined;
  }
  const out = new Uint8Array(4);
  return parseIpv4(text, out) ? out : undefined;
}

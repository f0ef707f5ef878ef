/**
 * Hostile datagram generators shared by the fuzz tests and `bench/fuzz.ts`: random bytes,
 * random msgpack built from the protocol's own keys, and captured vectors that are bit-flipped,
 * truncated, spliced or given lying length fields. Deterministic for a given seed.
 */

import { MsgMap, type MsgValue } from '../src/codec/msgpack/reader.js';
import { Writer, writeValue } from '../src/codec/msgpack/writer.js';
import { seededRandom } from '../src/seeded-random.js';
import { loadVectors } from './codec-fixtures.js';

export type FuzzKind = 'random' | 'structured' | 'mutated' | 'truncated' | 'bitflip' | 'length-attack' | 'spliced';
export const FUZZ_KINDS: readonly FuzzKind[] = ['random', 'structured', 'mutated', 'truncated', 'bitflip', 'length-attack', 'spliced'];

const KEYS = [
  'a',
  'q',
  't',
  'y',
  'v',
  'n',
  's',
  'r',
  'e',
  'p',
  'u',
  'id',
  'h',
  'target',
  'token',
  'vid',
  'n4',
  'n6',
  'c',
  'sa',
  'values',
  'fileds',
  're',
  'exp',
  'w',
  've',
  'sid',
  'f',
  'o',
  'd',
  'dat',
  'body',
  'sig',
  'seq',
  'owner',
  'to',
  'type',
  'data',
  'utype',
  'pt',
];
const QUERIES = ['ping', 'find', 'get', 'put', 'listen', 'refresh', 'update', 'q', 'r', 'e', 'p'];

export class FuzzInputs {
  readonly seeds: Uint8Array[];
  private readonly rand: () => number;

  constructor(seed: number) {
    this.rand = seededRandom(seed);
    this.seeds = loadVectors().map((v) => v.bytes);
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  next(kind: FuzzKind): Uint8Array {
    switch (kind) {
      case 'random':
        return this.randomBytes();
      case 'structured':
        return this.structured();
      case 'mutated':
        return this.mutated();
      case 'truncated': {
        const s = this.pick(this.seeds);
        return s.subarray(0, this.int(s.length));
      }
      case 'bitflip': {
        const s = this.pick(this.seeds).slice();
        const flips = 1 + this.int(3);
        for (let i = 0; i < flips; i++) s[this.int(s.length)]! ^= 1 << this.int(8);
        return s;
      }
      case 'length-attack':
        return this.lengthAttack();
      case 'spliced': {
        const a = this.pick(this.seeds);
        const b = this.pick(this.seeds);
        const out = new Uint8Array(a.length);
        out.set(a);
        const at = this.int(a.length);
        out.set(b.subarray(0, a.length - at), at);
        return out;
      }
    }
  }

  /** Random bytes, biased towards starting with a map header so that decoding gets further. */
  private randomBytes(): Uint8Array {
    const out = this.bytes(this.int(300));
    if (out.length > 0 && this.rand() < 0.5) out[0] = 0x80 | this.int(16);
    return out;
  }

  /** A random msgpack map using the protocol's keys and plausible value shapes. */
  private structured(): Uint8Array {
    const w = new Writer();
    writeValue(w, this.rand() < 0.7 ? this.skeleton() : this.tree(0, true));
    return w.finish();
  }

  /** A message-shaped map: body key, sender id and envelope present, the rest random. */
  private skeleton(): MsgMap {
    const innerKeys: MsgValue[] = ['id'];
    const innerValues: MsgValue[] = [this.bytes(20)];
    for (let i = this.int(6); i > 0; i--) {
      innerKeys.push(this.pick(KEYS));
      innerValues.push(this.tree(2));
    }
    const body = this.pick(['a', 'a', 'a', 'r', 'r', 'e', 'p', 'u']);
    const keys: MsgValue[] = [body, 't', 'y', 'q', 'v'];
    const values: MsgValue[] = [
      body === 'p'
        ? new MsgMap([this.int(3)], [new MsgMap(['o', 'd'], [this.int(3000), this.bytes(this.int(50))], 0, 0)], 0, 0)
        : new MsgMap(innerKeys, innerValues, 0, 0),
      this.int(2 ** 32),
      this.pick(['q', 'r', 'e', 'p']),
      this.pick(QUERIES),
      'RNG1',
    ];
    if (body === 'e') {
      keys.push('e', 'r');
      values.push([this.int(500), 'x'], new MsgMap(innerKeys, innerValues, 0, 0));
    }
    if (this.rand() < 0.2) {
      keys.push(this.pick(['n', 's']));
      values.push(this.tree(3));
    }
    return new MsgMap(keys, values, 0, 0);
  }

  private tree(depth: number, forceMap = false): MsgValue {
    const r = forceMap ? 0 : this.int(12);
    if (r <= 1 && depth < 5) {
      const n = this.int(7);
      const keys: MsgValue[] = [];
      const values: MsgValue[] = [];
      for (let i = 0; i < n; i++) {
        keys.push(this.rand() < 0.9 ? this.pick(KEYS) : this.int(4));
        values.push(this.tree(depth + 1));
      }
      return new MsgMap(keys, values, 0, 0);
    }
    if (r === 2 && depth < 5) return Array.from({ length: this.int(5) }, () => this.tree(depth + 1));
    switch (r) {
      case 3:
        return this.bytes(this.pick([0, 4, 16, 19, 20, 21, 26, 38, 52, 32]));
      case 4:
        return this.pick(QUERIES);
      case 5:
        return this.int(2) === 0 ? this.int(128) : this.int(2 ** 32);
      case 6:
        return BigInt(this.int(2 ** 32)) * 2n ** 32n + BigInt(this.int(2 ** 32));
      case 7:
        return this.rand() < 0.5;
      case 8:
        return null;
      case 9:
        return -this.int(1000);
      default:
        return this.pick([0, 1, 2, 10, 1280, 65568, 65569]);
    }
  }

  private mutated(): Uint8Array {
    let s = this.pick(this.seeds).slice();
    const n = 1 + this.int(4);
    for (let i = 0; i < n; i++) {
      const at = this.int(s.length + 1);
      switch (this.int(4)) {
        case 0:
          if (s.length) s[Math.min(at, s.length - 1)] = this.int(256);
          break;
        case 1: {
          const ins = this.bytes(1 + this.int(8));
          const out = new Uint8Array(s.length + ins.length);
          out.set(s.subarray(0, at));
          out.set(ins, at);
          out.set(s.subarray(at), at + ins.length);
          s = out;
          break;
        }
        case 2: {
          const len = 1 + this.int(8);
          const out = new Uint8Array(Math.max(0, s.length - len));
          out.set(s.subarray(0, at).subarray(0, out.length));
          if (at < out.length) out.set(s.subarray(at + len).subarray(0, out.length - at), at);
          s = out;
          break;
        }
        default:
          if (s.length) s[Math.min(at, s.length - 1)] = this.pick([0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xc4, 0xcf, 0xdc, 0xdd, 0xde, 0xdf, 0xff]);
      }
    }
    return s;
  }

  /** Rewrite one length field (str/bin/array/map header) of a vector to lie. */
  private lengthAttack(): Uint8Array {
    const s = this.pick(this.seeds).slice();
    const positions: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const b = s[i]!;
      if ((b >= 0x80 && b <= 0xbf) || (b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdf)) positions.push(i);
    }
    if (positions.length === 0) return s;
    const at = this.pick(positions);
    const b = s[at]!;
    const lie = this.pick([0, 1, 0xff, 0xffff, 0xffffffff, this.int(2 ** 32)]);
    if (b >= 0x80 && b <= 0x8f) s[at] = 0x80 | (lie & 0x0f);
    else if (b >= 0x90 && b <= 0x9f) s[at] = 0x90 | (lie & 0x0f);
    else if (b >= 0xa0 && b <= 0xbf) s[at] = 0xa0 | (lie & 0x1f);
    else {
      const width = b === 0xc4 || b === 0xd9 ? 1 : b === 0xc5 || b === 0xda || b === 0xdc || b === 0xde ? 2 : 4;
      for (let i = 0; i < width && at + 1 + i < s.length; i++) s[at + 1 + i] = (lie >>> (8 * (width - 1 - i))) & 0xff;
    }
    return s;
  }
}

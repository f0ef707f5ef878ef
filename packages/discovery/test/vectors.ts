/** Loads the OpenDHT 2.4.12 datagrams captured from real peers (the files live in test/vectors/). */
import { readFileSync, readdirSync } from 'node:fs';

export interface Vector {
  readonly name: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly src: { readonly addr: string; readonly port: number };
  readonly dst: { readonly addr: string; readonly port: number };
  readonly payload_hex: string;
  readonly decoded: unknown;
}

const DIR = new URL('./vectors/peer-discovery-2.4/', import.meta.url);

export const vectors: readonly Vector[] = readdirSync(DIR)
  .filter((f) => /^\d\d_.*\.json$/.test(f))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as Vector);

export function vector(prefix: string): Vector {
  const v = vectors.find((x) => x.name.startsWith(prefix));
  if (!v) throw new Error(`no vector ${prefix}`);
  return v;
}

export function payload(v: Vector): Uint8Array {
  return new Uint8Array(Buffer.from(v.payload_hex, 'hex'));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

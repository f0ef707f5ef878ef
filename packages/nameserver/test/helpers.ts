import { createHash, createPrivateKey, createPublicKey, generateKeyPair, sign, constants, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { MemoryLevel } from 'memory-level';
import { createNameServer, type NameServer, type NameServerOptions } from '../src/index.js';

const generate = promisify(generateKeyPair);

/** A test account: an RSA key pair and its Jami ID (SHA-1 of the DER SPKI). */
export interface Account {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly addr: string;
  /** `publickey` field as jamid 13 (OpenDHT 2.4) sends it: base64 of the PEM plus GnuTLS's trailing NUL. */
  readonly publickey: string;
}

/**
 * 2048-bit keys made once (fixtures/rsa-2048-test-keys.json): generating one costs ~0.1 s of CPU,
 * and a test file needs up to 20. Each process hands them out in order, so the accounts of one
 * test file are distinct; past the pool, keys are generated.
 */
const KEY_POOL = (JSON.parse(readFileSync(new URL('./fixtures/rsa-2048-test-keys.json', import.meta.url), 'utf8')) as { keys: string[] }).keys;
let pooled = 0;

async function rsaKeyPair(bits: number): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const pem = bits === 2048 ? KEY_POOL[pooled++] : undefined;
  if (pem === undefined) return generate('rsa', { modulusLength: bits });
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export async function makeAccount(bits = 2048): Promise<Account> {
  const { privateKey, publicKey } = await rsaKeyPair(bits);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const pem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    privateKey,
    publicKey,
    addr: createHash('sha1').update(der).digest('hex'),
    publickey: Buffer.concat([Buffer.from(pem, 'latin1'), Buffer.of(0)]).toString('base64'),
  };
}

export async function makeAccounts(count: number, bits = 2048): Promise<Account[]> {
  return Promise.all(Array.from({ length: count }, () => makeAccount(bits)));
}

/** RSA PKCS#1 v1.5 / SHA-512 over the name, base64, as OpenDHT signs. */
export function signName(account: Account, name: string): string {
  return sign('sha512', Buffer.from(name, 'utf8'), { key: account.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
}

export const OWNER = '477d7a39fbfb90016b403e9a344b96fb6ccb1383';

/** A registration body formatted byte for byte like jamid's (fixed field order, no spaces). */
export function registrationBody(account: Account, name: string, fields: Partial<Record<'addr' | 'owner' | 'signature' | 'publickey', string>> = {}): string {
  const addr = fields.addr ?? account.addr;
  const owner = fields.owner ?? OWNER;
  const signature = fields.signature ?? signName(account, name);
  const publickey = fields.publickey ?? account.publickey;
  return `{"addr":"${addr}","owner":"${owner}","signature":"${signature}","publickey":"${publickey}"}`;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP/1.1 exchange with jamid's headers (`Connection: close`, JSON content type on every request). */
export function httpRequest(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          Accept: '*/*',
          'Content-Type': 'application/json',
          'User-Agent': 'JamiDHT',
          Connection: 'close',
          ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface Harness {
  readonly server: NameServer;
  readonly http: Server;
  readonly port: number;
  readonly db: MemoryLevel<string, string>;
  readonly clock: { t: number; now(): number };
  stop(): Promise<void>;
}

/** A name server on a loopback HTTP server (free port), backed by MemoryLevel, with a settable clock. */
export async function startHarness(options: NameServerOptions = {}, db = new MemoryLevel<string, string>()): Promise<Harness> {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const server = await createNameServer(options, { db, clock });
  const http = createServer((req, res) => {
    void server.handle(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(418, { 'Content-Type': 'text/plain' });
        res.end('not a name server route');
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    server,
    http,
    port,
    db,
    clock,
    async stop() {
      await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

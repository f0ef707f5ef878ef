/**
 * Test Jami accounts for the appliance's tests and the abuse bench: an RSA key, its Jami ID
 * (SHA-1 of the DER public key) and a name registration body shaped like jamid's.
 */
import { createHash, generateKeyPair, sign, constants, type KeyObject } from 'node:crypto';
import { request } from 'node:http';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

export interface Account {
  readonly privateKey: KeyObject;
  readonly addr: string;
  readonly publickey: string;
}

export async function makeAccount(bits = 2048): Promise<Account> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: bits });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const pem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, addr: createHash('sha1').update(der).digest('hex'), publickey: Buffer.from(pem, 'latin1').toString('base64') };
}

export function registrationBody(account: Account, name: string): string {
  const signature = sign('sha512', Buffer.from(name, 'utf8'), { key: account.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
  return JSON.stringify({ addr: account.addr, owner: account.addr, signature, publickey: account.publickey });
}

/** One request from a chosen loopback source address; resolves with the status, or 0 and the error if the exchange broke. */
export function requestFrom(
  port: number,
  method: string,
  path: string,
  from: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress: from,
        timeout: 30_000,
        headers: {
          Connection: 'close',
          'Content-Type': 'application/json',
          ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    req.end(body);
  });
}

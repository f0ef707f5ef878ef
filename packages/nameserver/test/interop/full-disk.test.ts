/**
 * Finding 1 of the reliability audit: with the data dir on a filesystem that fills up, LevelDB's
 * log was left torn by the failed append and every registration acknowledged after space came
 * back was dropped at the next open. Reproduced on a small tmpfs this test mounts (needs root,
 * hence interop/).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNameServer, durableRegistryIn, type NameServer } from '../../src/index.js';
import { httpRequest, makeAccounts, registrationBody, type Account } from '../helpers.js';

const MOUNT_BYTES = 4 * 1024 * 1024;

async function serve(dataDir: string): Promise<{ ns: NameServer; http: Server; port: number; stop(): Promise<void> }> {
  const ns = await createNameServer(
    { minKeyBits: 1024, registrationsPerWindow: 100_000 },
    { registry: durableRegistryIn(dataDir, { retryMs: 0, reserveBytes: 64 * 1024 }) },
  );
  const http = createServer((req, res) => void ns.handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    ns,
    http,
    port: (http.address() as AddressInfo).port,
    async stop() {
      await ns.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Leaves about `leave` bytes free on the filesystem holding `dir`, in one filler file. */
async function fill(dir: string, leave: number): Promise<string> {
  const s = await statfs(dir);
  const path = join(dir, 'filler');
  await writeFile(path, Buffer.alloc(Math.max(0, s.bavail * s.bsize - leave)));
  return path;
}

describe('full disk', () => {
  let mnt: string;
  let accounts: Account[];
  before(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'lbrl-fulldisk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_BYTES}`, 'lbrl-fulldisk', mnt]);
    accounts = await makeAccounts(260, 1024);
  });
  after(async () => {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('acknowledges nothing a restart loses, and recovers by itself once space is back', { timeout: 120_000 }, async () => {
    const dataDir = join(mnt, 'data');
    let box = await serve(dataDir);
    const acked: Array<{ name: string; account: Account }> = [];
    const filler = await fill(mnt, 96 * 1024);
    let refused = 0;
    let next = 0;
    // Until the disk refuses a few registrations (bounded by the accounts made).
    while (refused < 5 && next < 200) {
      const name = `full-${next}`;
      const account = accounts[next++]!;
      const answer = await httpRequest(box.port, 'POST', `/name/${name}`, registrationBody(account, name));
      if (answer.status === 200) acked.push({ name, account });
      else {
        // 5xx: jamid reports a failure to retry, not "name taken".
        assert.equal(answer.status, 503, answer.body);
        refused += 1;
      }
    }
    assert.ok(refused >= 5, `the disk never filled (${acked.length} registrations acknowledged)`);
    assert.ok(acked.length > 0);
    assert.equal(box.ns.status().state, 'degraded');
    assert.equal(box.ns.status().store?.state, 'read-only');
    // Lookups keep working while the disk is full.
    assert.equal((await httpRequest(box.port, 'GET', `/name/${acked[0]!.name}`)).status, 200);

    await rm(filler);
    await box.ns.tick();
    const before = acked.length;
    for (let i = 0; i < 50; i++) {
      const name = `after-${i}`;
      const account = accounts[200 + i]!;
      const answer = await httpRequest(box.port, 'POST', `/name/${name}`, registrationBody(account, name));
      assert.equal(answer.status, 200, `registration after space came back: ${answer.status} ${answer.body}`);
      acked.push({ name, account });
    }
    assert.equal(acked.length, before + 50);
    assert.equal(box.ns.status().store?.state, 'ok');
    assert.ok((box.ns.status().store?.reopens ?? 0) >= 1);

    await box.stop();
    box = await serve(dataDir);
    try {
      // The store itself kept them: nothing had to come back from the backup.
      assert.equal(box.ns.status().store?.damage, null, JSON.stringify(box.ns.status().store?.damage));
      for (const { name, account } of acked) {
        const answer = await httpRequest(box.port, 'GET', `/name/${name}`);
        assert.equal(answer.status, 200, `${name} was acknowledged but lost at restart`);
        assert.equal((JSON.parse(answer.body) as { addr: string }).addr, `0x${account.addr}`);
      }
    } finally {
      await box.stop();
    }
  });

  it('starts on a full disk with the store down, and opens it once there is room', { timeout: 60_000 }, async () => {
    const dataDir = join(mnt, 'data2');
    let box = await serve(dataDir);
    const name = 'before-full';
    assert.equal((await httpRequest(box.port, 'POST', `/name/${name}`, registrationBody(accounts[250]!, name))).status, 200);
    await box.stop();
    const filler = await fill(mnt, 0);
    box = await serve(dataDir);
    try {
      assert.equal(box.ns.status().store?.state, 'down');
      assert.equal(box.ns.status().state, 'degraded');
      const refused = await httpRequest(box.port, 'POST', '/name/while-full', registrationBody(accounts[251]!, 'while-full'));
      assert.equal(refused.status, 503);
      await rm(filler);
      await box.ns.tick();
      assert.equal(box.ns.status().store?.state, 'ok');
      assert.equal((await httpRequest(box.port, 'GET', `/name/${name}`)).status, 200);
      assert.equal((await httpRequest(box.port, 'POST', '/name/while-full', registrationBody(accounts[251]!, 'while-full'))).status, 200);
    } finally {
      await box.stop();
    }
  });
});

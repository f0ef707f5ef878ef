import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { httpRequest, makeAccounts, registrationBody, type Account } from './helpers.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const TOTAL = 150;
const KILL_AFTER_ACKS = 40;
const WORKERS = 12;

const children: ChildProcess[] = [];

/** Starts test/fixtures/serve.ts on a free loopback port; resolves with the child and its port. */
function startServer(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--conditions=lanbox-source', '--import', 'tsx', 'test/fixtures/serve.ts', '--data-dir', dataDir, '--min-key-bits', '1024', '--rate', '100000'],
    { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let errText = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${errText}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => (errText += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${errText}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('durability', () => {
  let dataDir: string;
  let accounts: Account[];
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lanbox-ns-durability-'));
    accounts = await makeAccounts(TOTAL, 1024);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    await Promise.all(children.map(exited));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('every registration answered 200 before kill -9 is there after a restart', { timeout: 60_000 }, async () => {
    const first = await startServer(dataDir);
    const acked: Account[] = [];
    let failed = 0;
    let next = 0;
    let killed = false;
    const deadline = Date.now() + 30_000;

    const worker = async (): Promise<void> => {
      while (next < TOTAL && Date.now() < deadline) {
        const i = next++;
        const account = accounts[i]!;
        try {
          const answer = await httpRequest(first.port, 'POST', `/name/burst-${i}`, registrationBody(account, `burst-${i}`));
          if (answer.status === 200) acked.push(account);
          else assert.fail(`unexpected ${answer.status} ${answer.body}`);
        } catch (error) {
          if (!killed) throw error;
          failed += 1;
        }
        if (!killed && acked.length >= KILL_AFTER_ACKS) {
          killed = true;
          process.kill(first.child.pid!, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await exited(first.child);
    assert.equal(first.child.signalCode, 'SIGKILL');
    // The kill landed mid-burst: some requests were refused by the dead server.
    assert.ok(killed);
    assert.ok(failed > 0, 'the burst finished before the kill');
    assert.ok(acked.length >= KILL_AFTER_ACKS && acked.length < TOTAL);

    const second = await startServer(dataDir);
    for (const account of acked) {
      const i = accounts.indexOf(account);
      const byName = await httpRequest(second.port, 'GET', `/name/burst-${i}`);
      assert.equal(byName.status, 200, `burst-${i} lost`);
      assert.equal((JSON.parse(byName.body) as { addr: string }).addr, `0x${account.addr}`);
      assert.equal((await httpRequest(second.port, 'GET', `/addr/${account.addr}`)).body, `{"name":"burst-${i}"}`);
    }
    process.kill(second.child.pid!, 'SIGTERM');
    await exited(second.child);
  });
});

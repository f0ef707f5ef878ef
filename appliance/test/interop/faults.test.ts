/**
 * Findings 1, 4 and 6 of the reliability audit, on the appliance as a real process: SIGTERM in the
 * middle of registrations (clients were cut although their names were stored), starting on a full
 * disk (exit 1, DHT down with the name server), and a damaged data dir (most kinds stopped the box;
 * now each store fails on its own, says what it recovered, and can be repaired by the operator).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exitOf, getJson, loopbackArgs, spawnAppliance, startAppliance, tempDir, waitFor, type RunningAppliance } from '../helpers.js';
import { makeAccount, registrationBody, requestFrom, type Account } from '../jami-account.js';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function dataDir(): Promise<string> {
  const d = await tempDir('lbrl-faults-');
  cleanups.push(d.remove);
  return d.path;
}

async function start(dir: string, args: string[] = []): Promise<RunningAppliance> {
  const app = await startAppliance({ dataDir: dir, args });
  cleanups.push(app.kill);
  return app;
}

const from = (i: number) => `127.0.4.${(i % 250) + 1}`;
const TOKEN = 'test-token-0123456789';

async function register(app: RunningAppliance, accounts: Account[], prefix: string): Promise<void> {
  for (const [i, a] of accounts.entries()) {
    const r = await requestFrom(app.webPort, 'POST', `/name/${prefix}-${i}`, from(i), registrationBody(a, `${prefix}-${i}`));
    assert.equal(r.status, 200, r.body);
  }
}

test('SIGTERM lets registrations in progress finish: every stored name was answered 200', { timeout: 120_000 }, async () => {
  const dir = await dataDir();
  const accounts = await Promise.all(Array.from({ length: 60 }, () => makeAccount()));
  const app = await start(dir);
  const outcomes: number[] = new Array(accounts.length).fill(-1);
  let signalled = false;
  await Promise.all(
    accounts.map(async (a, i) => {
      const r = await requestFrom(app.webPort, 'POST', `/name/term-${i}`, from(i), registrationBody(a, `term-${i}`));
      outcomes[i] = r.status;
      if (r.status === 200 && !signalled) {
        signalled = true;
        app.proc.kill('SIGTERM');
      }
    }),
  );
  assert.ok(signalled);
  assert.equal(await app.exited, 0);
  const again = await start(dir);
  const cut: string[] = [];
  for (let i = 0; i < accounts.length; i++) {
    const stored = (await requestFrom(again.webPort, 'GET', `/name/term-${i}`, '127.0.0.1')).status === 200;
    if (stored && outcomes[i] !== 200) cut.push(`term-${i} (answered ${outcomes[i]})`);
  }
  assert.deepEqual(cut, [], 'names stored although their client was told it failed');
  assert.equal(await again.stop(), 0);
});

test('starting on a full disk keeps the DHT up; the name server opens its store once there is room', { timeout: 120_000 }, async () => {
  const mnt = await dataDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'lbrl-full', mnt]);
  cleanups.push(() => execFileSync('umount', [mnt]));
  const s = await statfs(mnt);
  const filler = join(mnt, 'filler');
  await writeFile(filler, Buffer.alloc(s.bavail * s.bsize));
  const app = await start(join(mnt, 'data'));
  const st = (await getJson(`${app.base}/api/status`)).body as Record<string, any>;
  assert.equal(st.dht.state, 'ok');
  assert.equal(st.storage.dht.state, 'memory');
  assert.equal(st.nameserver.state, 'degraded');
  assert.equal(st.storage.names.state, 'down');
  await rm(filler);
  // The name server's housekeeping (every 10 s) opens the store.
  await waitFor(
    'the names store to open',
    async () => ((await getJson(`${app.base}/api/status`)).body as any).storage.names.state === 'ok' || undefined,
    40_000,
  );
  const [a] = [await makeAccount()];
  assert.equal((await requestFrom(app.webPort, 'POST', '/name/after-full', from(1), registrationBody(a!, 'after-full'))).status, 200);
  assert.equal(await app.stop(), 0);
});

test('a damaged data dir: the box starts, says what it recovered, and the operator can repair it', { timeout: 180_000 }, async () => {
  const dir = await dataDir();
  const accounts = await Promise.all(Array.from({ length: 5 }, () => makeAccount()));
  let app = await start(dir, ['--admin-token', TOKEN]);
  await register(app, accounts, 'kept');
  assert.equal(await app.stop(), 0);
  // Garble both stores' CURRENT: LevelDB refuses to open either.
  await writeFile(join(dir, 'names', 'CURRENT'), 'MANIFEST-999999\n');
  await writeFile(join(dir, 'dht', 'CURRENT'), 'garbage\n');
  app = await start(dir, ['--admin-token', TOKEN]);
  const st = (await getJson(`${app.base}/api/status`)).body as Record<string, any>;
  assert.equal(st.dht.state, 'ok');
  assert.ok(st.storage.dht.damage !== null, 'DHT store damage not reported');
  const damage = st.storage.names.damage;
  assert.ok(damage !== null, 'names store damage not reported');
  assert.ok((await readdir(damage.copy)).includes('CURRENT'), 'no copy of the damaged files');
  assert.equal(damage.namesRead + damage.restoredFromBackup, 5);
  assert.equal(st.nameserver.state, 'degraded');
  assert.match(st.nameserver.summary, /damaged/);
  for (let i = 0; i < 5; i++) assert.equal((await requestFrom(app.webPort, 'GET', `/name/kept-${i}`, '127.0.0.1')).status, 200);

  assert.equal((await requestFrom(app.webPort, 'POST', '/api/storage/repair', '127.0.0.1')).status, 401);
  const repaired = await requestFrom(app.webPort, 'POST', '/api/storage/repair', '127.0.0.1', undefined, { Authorization: `Bearer ${TOKEN}` });
  assert.equal(repaired.status, 200, repaired.body);
  const after = (await getJson(`${app.base}/api/status`)).body as Record<string, any>;
  assert.equal(after.nameserver.state, 'ok', after.nameserver.summary);
  assert.ok(after.storage.names.repairedAt !== null);
  assert.equal(await app.stop(), 0);

  // The offline command: lanbox --repair with the box stopped.
  await writeFile(join(dir, 'names', 'CURRENT'), 'MANIFEST-999999\n');
  const { args } = await loopbackArgs(dir);
  const proc = spawnAppliance([...args, '--repair']);
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  assert.equal(await exitOf(proc), 0, out);
  const report = JSON.parse(out) as { repair: string; names: { count: number; state: string } };
  assert.equal(report.repair, 'ok');
  assert.equal(report.names.count, 5);
});

test('a data dir of lanbox 0.1 (one db/ with sublevels) is moved into one store per service', { timeout: 60_000 }, async () => {
  const { Level } = await import('level');
  const { createLevelRegistry } = await import('@lanbox/nameserver');
  const dir = await dataDir();
  const old = new Level<string, string>(join(dir, 'db'), { valueEncoding: 'utf8' });
  await old.open();
  const id = 'ab'.repeat(20);
  await old.sublevel<string, string>('dht', { valueEncoding: 'utf8' }).put('dht:node-id', id);
  const a = await makeAccount();
  const body = JSON.parse(registrationBody(a, 'legacy')) as { signature: string };
  await createLevelRegistry(old as never).insert([
    { name: 'legacy', addr: a.addr, owner: a.addr, publickey: a.publickey, signature: body.signature, registeredAt: 1 },
  ]);
  await old.close();
  const app = await start(dir);
  const st = (await getJson(`${app.base}/api/status`)).body as Record<string, any>;
  assert.equal(st.dht.nodeId, id, 'the DHT node id was not carried over');
  assert.equal((await requestFrom(app.webPort, 'GET', '/name/legacy', '127.0.0.1')).status, 200);
  assert.ok((await readdir(dir)).includes('db.migrated'));
  assert.equal(await app.stop(), 0);
});

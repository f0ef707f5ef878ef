import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Level } from 'level';
import { MemoryLevel } from 'memory-level';
import { createNameServer, EXPORT_FORMAT, type NameExport } from '../src/index.js';
import { httpRequest, makeAccounts, registrationBody, signName, startHarness, type Account, type Harness } from './helpers.js';

const TOKEN = 'operator-secret-0123456789';

describe('operator functions', () => {
  let h: Harness;
  let accounts: Account[];
  before(async () => {
    h = await startHarness({ adminToken: TOKEN });
    accounts = await makeAccounts(4);
    for (const [i, a] of accounts.slice(0, 3).entries()) {
      assert.equal((await httpRequest(h.port, 'POST', `/name/user-${i}`, registrationBody(a, `user-${i}`))).status, 200);
    }
  });
  after(() => h.stop());

  it('exports every registration and another box imports them, verified', async () => {
    const exported = await h.server.exportNames();
    assert.equal(exported.format, EXPORT_FORMAT);
    assert.deepEqual(
      exported.names.map((r) => r.name),
      ['user-0', 'user-1', 'user-2'],
    );
    const other = await startHarness();
    try {
      const result = await other.server.importNames(JSON.stringify(exported));
      assert.deepEqual(result, { imported: 3, unchanged: 0, conflicts: [], invalid: 0, overLimit: 0 });
      for (const [i, a] of accounts.slice(0, 3).entries()) {
        assert.equal((await httpRequest(other.port, 'GET', `/name/user-${i}`)).body, (await httpRequest(h.port, 'GET', `/name/user-${i}`)).body);
        assert.equal((await httpRequest(other.port, 'GET', `/addr/${a.addr}`)).body, `{"name":"user-${i}"}`);
      }
      assert.deepEqual(await other.server.importNames(exported), { imported: 0, unchanged: 3, conflicts: [], invalid: 0, overLimit: 0 });
      assert.equal(other.server.status().registrations.imported, 3);
    } finally {
      await other.stop();
    }
  });

  it('import re-checks every entry and skips conflicts', async () => {
    const other = await startHarness({ maxNames: 2 });
    try {
      const [a0, a1, a2, a3] = accounts as [Account, Account, Account, Account];
      // On the target box, user-1 already belongs to someone else and a3 holds a name.
      assert.equal((await httpRequest(other.port, 'POST', '/name/user-1', registrationBody(a3, 'user-1'))).status, 200);
      const exported = await h.server.exportNames();
      const forged: NameExport = {
        ...exported,
        names: [
          ...exported.names,
          { name: 'stolen', addr: a0.addr, owner: '0'.repeat(40), publickey: a2.publickey, signature: signName(a2, 'stolen'), registeredAt: 1 },
          { name: 'resigned', addr: a2.addr, owner: '0'.repeat(40), publickey: a2.publickey, signature: signName(a2, 'other'), registeredAt: 1 },
          { name: 'X', addr: 'nope' } as never,
        ],
      };
      const result = await other.server.importNames(forged);
      // user-0 fits (2 of 2), user-1 conflicts, user-2 is over maxNames; the two forged and the malformed are invalid.
      assert.deepEqual(result, { imported: 1, unchanged: 0, conflicts: ['user-1'], invalid: 3, overLimit: 1 });
      assert.equal(JSON.parse((await httpRequest(other.port, 'GET', '/name/user-1')).body).addr, `0x${a3.addr}`);
      assert.equal((await httpRequest(other.port, 'GET', '/name/stolen')).status, 404);
      assert.equal((await httpRequest(other.port, 'GET', `/addr/${a1.addr}`)).status, 404);
      await assert.rejects(other.server.importNames('{"format":"something else"}'), TypeError);
      await assert.rejects(other.server.importNames('not json'), TypeError);
    } finally {
      await other.stop();
    }
  });

  it('removeName() frees the name and the address', async () => {
    assert.equal(await h.server.removeName('USER-2'), true);
    assert.equal(await h.server.removeName('user-2'), false);
    assert.equal(await h.server.removeName('bad name!'), false);
    assert.equal((await httpRequest(h.port, 'GET', '/name/user-2')).status, 404);
    assert.equal((await httpRequest(h.port, 'GET', `/addr/${accounts[2]!.addr}`)).status, 404);
    assert.equal(h.server.status().registrations.removed, 1);
    // The address may now register again, and the name is free for anyone.
    assert.equal((await httpRequest(h.port, 'POST', '/name/user-2', registrationBody(accounts[3]!, 'user-2'))).status, 200);
  });

  it('DELETE /name/<name> needs the bearer token', async () => {
    const noAuth = await httpRequest(h.port, 'DELETE', '/name/user-0');
    assert.equal(noAuth.status, 401);
    const wrong = await httpRequest(h.port, 'DELETE', '/name/user-0', undefined, { Authorization: `Bearer ${TOKEN}x` });
    assert.equal(wrong.status, 401);
    assert.equal((await httpRequest(h.port, 'GET', '/name/user-0')).status, 200);
    assert.equal(h.server.status().rejected.unauthorized, 2);
    const ok = await httpRequest(h.port, 'DELETE', '/name/user-0', undefined, { Authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '{"success":true}');
    assert.equal((await httpRequest(h.port, 'GET', '/name/user-0')).status, 404);
    const again = await httpRequest(h.port, 'DELETE', '/name/user-0', undefined, { Authorization: `Bearer ${TOKEN}` });
    assert.equal(again.status, 404);
  });

  it('DELETE is refused (403) when no admin token is configured', async () => {
    const plain = await startHarness();
    try {
      const answer = await httpRequest(plain.port, 'DELETE', '/name/anyone', undefined, { Authorization: 'Bearer anything-at-all-here' });
      assert.equal(answer.status, 403);
      assert.equal(plain.server.status().rejected['admin-disabled'], 1);
    } finally {
      await plain.stop();
    }
  });
});

describe('storage', () => {
  it('registrations survive closing and reopening a ClassicLevel database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lanbox-ns-'));
    try {
      const [a] = await makeAccounts(1);
      const db1 = new Level<string, string>(join(dir, 'db'));
      const h1 = await startHarness({}, db1 as unknown as MemoryLevel<string, string>);
      assert.equal((await httpRequest(h1.port, 'POST', '/name/durable', registrationBody(a!, 'durable'))).status, 200);
      await h1.stop();
      await db1.close();

      const db2 = new Level<string, string>(join(dir, 'db'));
      const server = await createNameServer({}, { db: db2 });
      assert.equal(server.status().names, 1);
      const exported = await server.exportNames();
      assert.equal(exported.names[0]?.addr, a!.addr);
      await server.close();
      await db2.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works on a sublevel the appliance hands out, and shares it with nothing else', async () => {
    const root = new MemoryLevel<string, string>();
    await root.put('unrelated', 'value');
    const db = root.sublevel<string, string>('nameserver', { valueEncoding: 'utf8' });
    const [a] = await makeAccounts(1);
    const h = await startHarness({}, db as unknown as MemoryLevel<string, string>);
    try {
      assert.equal((await httpRequest(h.port, 'POST', '/name/nested', registrationBody(a!, 'nested'))).status, 200);
      const server = await createNameServer({}, { db });
      assert.equal(server.status().names, 1);
      assert.equal(await root.get('unrelated'), 'value');
    } finally {
      await h.stop();
    }
  });

  it('skips and counts a corrupt stored record instead of failing', async () => {
    const db = new MemoryLevel<string, string>();
    const [a] = await makeAccounts(1);
    const h = await startHarness({}, db);
    try {
      assert.equal((await httpRequest(h.port, 'POST', '/name/intact', registrationBody(a!, 'intact'))).status, 200);
      const names = db.sublevel('nameserver').sublevel('names');
      await names.put('broken', '{"name":"broken"');
      const reopened = await createNameServer({}, { db });
      const s = reopened.status();
      assert.equal(s.names, 1);
      assert.equal(s.corruptRecords, 1);
      assert.equal(s.state, 'degraded');
      assert.deepEqual(
        (await reopened.exportNames()).names.map((r) => r.name),
        ['intact'],
      );
    } finally {
      await h.stop();
    }
  });
});

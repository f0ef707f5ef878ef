import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpRequest, makeAccount, makeAccounts, registrationBody, signName, startHarness, type Account, type Harness } from './helpers.js';

async function assertNothingStored(h: Harness, name: string, addr: string): Promise<void> {
  assert.equal((await httpRequest(h.port, 'GET', `/name/${name}`)).status, 404);
  assert.equal((await httpRequest(h.port, 'GET', `/addr/${addr}`)).status, 404);
}

describe('registration: proof of key ownership', () => {
  let h: Harness;
  let alice: Account;
  let mallory: Account;
  before(async () => {
    h = await startHarness({ registrationsPerWindow: 1000 });
    [alice, mallory] = (await makeAccounts(2)) as [Account, Account];
  });
  after(() => h.stop());

  const forgeries: { what: string; status: number; error: string; reason: string; body: () => string }[] = [
    {
      what: "someone else's key (mallory's key and signature, alice's addr)",
      status: 401,
      error: 'publickey does not match addr',
      reason: 'addr-mismatch',
      body: () => registrationBody(mallory, 'alice', { addr: alice.addr }),
    },
    {
      what: "wrong signature (alice's key, mallory's signature)",
      status: 401,
      error: 'signature verification failed',
      reason: 'bad-signature',
      body: () => registrationBody(alice, 'alice', { signature: signName(mallory, 'alice') }),
    },
    {
      what: 'signature over another name',
      status: 401,
      error: 'signature verification failed',
      reason: 'bad-signature',
      body: () => registrationBody(alice, 'alice', { signature: signName(alice, 'alicf') }),
    },
    {
      what: 'addr that is not the key hash',
      status: 401,
      error: 'publickey does not match addr',
      reason: 'addr-mismatch',
      body: () => registrationBody(alice, 'alice', { addr: alice.addr.replace(/^./, (c) => (c === '0' ? '1' : '0')) }),
    },
    {
      what: 'addr too short',
      status: 400,
      error: 'invalid addr',
      reason: 'invalid-addr',
      body: () => registrationBody(alice, 'alice', { addr: alice.addr.slice(1) }),
    },
    {
      what: 'addr not hex',
      status: 400,
      error: 'invalid addr',
      reason: 'invalid-addr',
      body: () => registrationBody(alice, 'alice', { addr: 'g'.repeat(40) }),
    },
    { what: 'owner empty', status: 400, error: 'no owner', reason: 'invalid-owner', body: () => registrationBody(alice, 'alice', { owner: '' }) },
    { what: 'owner malformed', status: 400, error: 'no owner', reason: 'invalid-owner', body: () => registrationBody(alice, 'alice', { owner: 'xyz' }) },
    {
      what: 'publickey missing',
      status: 400,
      error: 'publickey not found or invalid',
      reason: 'invalid-publickey',
      body: () => registrationBody(alice, 'alice', { publickey: '' }),
    },
    {
      what: 'publickey not base64',
      status: 400,
      error: 'publickey not found or invalid',
      reason: 'invalid-publickey',
      body: () => registrationBody(alice, 'alice', { publickey: 'not base64!' }),
    },
    {
      what: 'publickey base64 of DER instead of PEM',
      status: 400,
      error: 'publickey not found or invalid',
      reason: 'invalid-publickey',
      body: () => registrationBody(alice, 'alice', { publickey: alice.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }),
    },
    {
      what: 'publickey PEM with a corrupted body',
      status: 400,
      error: 'publickey not found or invalid',
      reason: 'invalid-publickey',
      body: () => {
        const pem = Buffer.from(alice.publickey, 'base64').toString('latin1').replace('MII', 'MIJ');
        return registrationBody(alice, 'alice', { publickey: Buffer.from(pem, 'latin1').toString('base64') });
      },
    },
    {
      what: 'signature missing',
      status: 400,
      error: 'signature not found or invalid',
      reason: 'invalid-signature',
      body: () => registrationBody(alice, 'alice', { signature: '' }),
    },
    {
      what: 'signature truncated',
      status: 400,
      error: 'signature not found or invalid',
      reason: 'invalid-signature',
      body: () => registrationBody(alice, 'alice', { signature: signName(alice, 'alice').slice(8) }),
    },
    { what: 'body not JSON', status: 400, error: 'invalid request', reason: 'invalid-request', body: () => registrationBody(alice, 'alice').slice(0, -1) },
    { what: 'body a JSON array', status: 400, error: 'invalid request', reason: 'invalid-request', body: () => '[]' },
  ];

  for (const forgery of forgeries) {
    it(`refuses ${forgery.what}: ${forgery.status}, nothing stored`, async () => {
      const before = h.server.status();
      const answer = await httpRequest(h.port, 'POST', '/name/alice', forgery.body());
      assert.equal(answer.status, forgery.status);
      assert.deepEqual(JSON.parse(answer.body), { success: false, error: forgery.error });
      const after = h.server.status();
      assert.equal(after.names, 0);
      assert.equal(after.rejected[forgery.reason as keyof typeof after.rejected], before.rejected[forgery.reason as keyof typeof before.rejected] + 1);
      await assertNothingStored(h, 'alice', alice.addr);
    });
  }

  it('refuses a key with an EC algorithm', async () => {
    const { generateKeyPairSync, createHash } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = ec.publicKey.export({ type: 'spki', format: 'der' });
    const publickey = Buffer.from(String(ec.publicKey.export({ type: 'spki', format: 'pem' }))).toString('base64');
    const addr = createHash('sha1').update(der).digest('hex');
    const answer = await httpRequest(h.port, 'POST', '/name/alice', registrationBody(alice, 'alice', { addr, publickey }));
    assert.equal(answer.status, 400);
    await assertNothingStored(h, 'alice', addr);
  });

  it('refuses keys below minKeyBits', async () => {
    const small = await makeAccount(1024);
    const answer = await httpRequest(h.port, 'POST', '/name/small', registrationBody(small, 'small'));
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), { success: false, error: 'key size not allowed' });
    await assertNothingStored(h, 'small', small.addr);
  });

  it('accepts a genuine registration and serves key and signature verbatim', async () => {
    const signature = signName(alice, 'alice');
    const answer = await httpRequest(h.port, 'POST', '/name/alice', registrationBody(alice, 'alice', { signature }));
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '{"success":true}');
    const lookup = await httpRequest(h.port, 'GET', '/name/alice');
    assert.equal(lookup.body, JSON.stringify({ name: 'alice', addr: `0x${alice.addr}`, publickey: alice.publickey, signature }));
    assert.equal((await httpRequest(h.port, 'GET', `/addr/${alice.addr}`)).body, '{"name":"alice"}');
  });

  it('answers 409 "name already taken" when another address claims the name (first come, first served)', async () => {
    const answer = await httpRequest(h.port, 'POST', '/name/alice', registrationBody(mallory, 'alice'));
    assert.equal(answer.status, 409);
    assert.equal(answer.body, '{"success":false,"error":"name already taken"}');
    assert.equal((await httpRequest(h.port, 'GET', `/addr/${mallory.addr}`)).status, 404);
    assert.equal(JSON.parse((await httpRequest(h.port, 'GET', '/name/alice')).body).addr, `0x${alice.addr}`);
  });

  it('answers 200 again when the same address registers the same name again (clients retry)', async () => {
    const answer = await httpRequest(h.port, 'POST', '/name/alice', registrationBody(alice, 'alice'));
    assert.equal(answer.status, 200);
    assert.equal(h.server.status().registrations.repeated, 1);
    assert.equal(h.server.status().names, 1);
  });

  it('answers 403 with the held name when an address that has a name registers a second one', async () => {
    const answer = await httpRequest(h.port, 'POST', '/name/alice2', registrationBody(alice, 'alice2'));
    assert.equal(answer.status, 403);
    assert.deepEqual(JSON.parse(answer.body), { success: false, name: 'alice', addr: `0x${alice.addr}` });
    assert.equal((await httpRequest(h.port, 'GET', '/name/alice2')).status, 404);
    assert.equal((await httpRequest(h.port, 'GET', `/addr/${alice.addr}`)).body, '{"name":"alice"}');
  });

  it('accepts a key without the trailing NUL (newer OpenDHT) and a 0x-prefixed addr', async () => {
    const bob = await makeAccount();
    const pem = Buffer.from(bob.publickey, 'base64');
    const noNul = pem.subarray(0, pem.length - 1).toString('base64');
    const answer = await httpRequest(h.port, 'POST', '/name/bob', registrationBody(bob, 'bob', { publickey: noNul, addr: `0x${bob.addr}` }));
    assert.equal(answer.status, 200);
    const lookup = JSON.parse((await httpRequest(h.port, 'GET', '/name/bob')).body) as Record<string, string>;
    assert.equal(lookup['publickey'], noNul);
    assert.equal(lookup['addr'], `0x${bob.addr}`);
  });

  it('lowercases and percent-decodes the name (the signature is over the lowercase name)', async () => {
    const carol = await makeAccount();
    const answer = await httpRequest(h.port, 'POST', '/name/Carol%2D_1', registrationBody(carol, 'carol-_1'));
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse((await httpRequest(h.port, 'GET', '/name/CAROL-_1')).body).name, 'carol-_1');
    assert.equal((await httpRequest(h.port, 'GET', `/addr/${carol.addr.toUpperCase()}`)).body, '{"name":"carol-_1"}');
    assert.equal((await httpRequest(h.port, 'GET', `/addr/jami:${carol.addr}`)).body, '{"name":"carol-_1"}');
    assert.equal((await httpRequest(h.port, 'GET', `/addr/0x${carol.addr}`)).body, '{"name":"carol-_1"}');
  });

  it('exact concurrent claims of one name: exactly one wins', async () => {
    const rivals = await makeAccounts(6);
    const answers = await Promise.all(rivals.map((r) => httpRequest(h.port, 'POST', '/name/contested', registrationBody(r, 'contested'))));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409]);
    const winner = rivals[answers.findIndex((a) => a.status === 200)];
    assert.equal(JSON.parse((await httpRequest(h.port, 'GET', '/name/contested')).body).addr, `0x${winner?.addr}`);
  });

  it("serves the reference server's per-field routes", async () => {
    const record = JSON.parse((await httpRequest(h.port, 'GET', '/name/alice')).body) as Record<string, string>;
    assert.deepEqual(JSON.parse((await httpRequest(h.port, 'GET', '/name/alice/publickey')).body), { name: 'alice', publickey: record['publickey'] });
    assert.deepEqual(JSON.parse((await httpRequest(h.port, 'GET', '/name/alice/signature')).body), { name: 'alice', signature: record['signature'] });
    assert.deepEqual(JSON.parse((await httpRequest(h.port, 'GET', '/name/alice/owner')).body), {
      name: 'alice',
      owner: '0x477d7a39fbfb90016b403e9a344b96fb6ccb1383',
    });
    const missing = await httpRequest(h.port, 'GET', '/name/nobody/owner');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, '{"error":"name not registered"}');
  });
});

describe('routing and name rules', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  const cases: [string, string, number, unknown][] = [
    ['POST', '/name/x!', 400, { success: false, error: 'invalid name' }],
    ['POST', '/name/ab', 400, { success: false, error: 'invalid name' }],
    ['POST', `/name/${'a'.repeat(33)}`, 400, { success: false, error: 'invalid name' }],
    // KELVIN SIGN lowercases to "k" under Unicode rules; it must not alias "kelvin".
    ['POST', '/name/%E2%84%AAelvin', 400, { success: false, error: 'invalid name' }],
    ['GET', '/name/%E2%84%AAelvin', 400, { error: 'invalid name' }],
    ['GET', '/name/%ZZabc', 400, { error: 'invalid name' }],
    ['GET', '/name/', 400, { error: 'invalid name' }],
    ['GET', '/addr/1234', 400, { error: 'invalid address' }],
    ['GET', '/addr/%zz', 400, { error: 'invalid address' }],
    ['GET', '/name/abc/def', 404, { error: 'not found' }],
    // jamid reads 404 on POST as "already taken": unknown POST routes under /name/ are 405.
    ['POST', '/name/abc/def', 405, { success: false, error: 'method not allowed' }],
    ['POST', '/name/abc/owner', 405, { success: false, error: 'method not allowed' }],
    ['PUT', '/name/abc', 405, { success: false, error: 'method not allowed' }],
    ['POST', '/addr/0123456789012345678901234567890123456789', 405, { success: false, error: 'method not allowed' }],
    ['GET', '/name/nobody?x=1', 404, { error: 'name not registered' }],
  ];
  for (const [method, path, status, body] of cases) {
    it(`${method} ${path} → ${status}`, async () => {
      const answer = await httpRequest(h.port, method, path, method === 'POST' ? '{}' : undefined);
      assert.equal(answer.status, status);
      assert.deepEqual(JSON.parse(answer.body), body);
      assert.equal(answer.headers['content-type'], 'application/json');
    });
  }

  it('leaves other paths to the appliance (handle resolves false)', async () => {
    for (const path of ['/', '/api/status', '/names/abc', '/name', '/addrx/abc']) {
      assert.equal((await httpRequest(h.port, 'GET', path)).status, 418, path);
    }
  });

  it('serves under a path prefix only', async () => {
    const p = await startHarness({ pathPrefix: '/ns' });
    try {
      const account = await makeAccount();
      assert.equal((await httpRequest(p.port, 'POST', '/ns/name/prefixed', registrationBody(account, 'prefixed'))).status, 200);
      assert.equal((await httpRequest(p.port, 'GET', '/ns/name/prefixed')).status, 200);
      assert.equal((await httpRequest(p.port, 'GET', '/name/prefixed')).status, 418);
    } finally {
      await p.stop();
    }
  });

  it('rejects impossible options, listing every problem', async () => {
    const { createNameServer } = await import('../src/index.js');
    const { MemoryLevel } = await import('memory-level');
    await assert.rejects(createNameServer({ pathPrefix: 'ns/', maxNames: 0, adminToken: 'short' }, { db: new MemoryLevel() }), (error: Error) => {
      assert.match(error.message, /pathPrefix/);
      assert.match(error.message, /maxNames/);
      assert.match(error.message, /adminToken/);
      return true;
    });
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { checkLookupAnswer } from '../src/index.js';
import { httpRequest, makeAccount, registrationBody, startHarness, type Harness } from './helpers.js';

/** HTTP exchanges captured from Debian jamid 13.7.0, kept with the tests so CI needs nothing else. */
const VECTOR_DIR = new URL('./vectors/jami-nameserver/', import.meta.url);

interface Vector {
  id: string;
  request: { method: string; path: string; headers: [string, string][]; body: string };
  response: { status: number; headers: [string, string][]; body: string };
  client_outcome?: { status: number };
}

function load(file: string): Vector {
  return JSON.parse(readFileSync(new URL(file, VECTOR_DIR), 'utf8')) as Vector;
}

const index = JSON.parse(readFileSync(new URL('index.json', VECTOR_DIR), 'utf8')) as { exchanges: { file: string; step: string }[] };
const vectors = index.exchanges.map((e) => ({ step: e.step, vector: load(e.file) }));
/** Answers crafted by the capture harness to probe jamid's checks; no honest server produces them. */
const PROBES = new Set(['probe-nokey', 'probe-badaddr', 'probe-badsig']);

function keysOf(json: string): string[] {
  return Object.keys(JSON.parse(json) as object);
}

describe('captured jamid exchanges replay against the server', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.stop());

  for (const { step, vector } of vectors.filter((v) => !PROBES.has(v.step))) {
    it(`${vector.id}: same status and same body`, async () => {
      const answer = await httpRequest(h.port, vector.request.method, vector.request.path, vector.request.method === 'POST' ? vector.request.body : undefined);
      assert.equal(answer.status, vector.response.status, step);
      // Byte-exact: field order and addr's 0x prefix included.
      assert.equal(answer.body, vector.response.body);
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(vector.response.body));
    });
  }

  it('the replay stored exactly the two registrations jamid saw accepted', () => {
    const status = h.server.status();
    assert.equal(status.names, 2);
    assert.equal(status.rejected['name-taken'], 1);
  });
});

describe('probe vectors (answers crafted by the capture harness)', () => {
  for (const { vector } of vectors.filter((v) => PROBES.has(v.step))) {
    it(`${vector.id}: our model of jamid's lookup check gives jamid's observed outcome`, () => {
      const name = decodeURIComponent(vector.request.path.split('/')[2] ?? '');
      const verdict = checkLookupAnswer(name, JSON.parse(vector.response.body));
      const expected = vector.client_outcome?.status === 0 ? 'found' : 'invalid';
      assert.equal(verdict, expected);
    });
  }

  it('vector 06 (the real lookup answer) passes the same check', () => {
    const v = vectors.find((x) => x.step === 'lookup-name')?.vector;
    assert.ok(v);
    assert.equal(checkLookupAnswer('e2e-a-i9c7g9', JSON.parse(v.response.body)), 'found');
  });

  it('the server refuses to store what probes 11 and 12 serve (key/addr mismatch, signature over another name)', async () => {
    const h = await startHarness();
    try {
      for (const step of ['probe-badaddr', 'probe-badsig']) {
        const v = vectors.find((x) => x.step === step)?.vector;
        assert.ok(v);
        const served = JSON.parse(v.response.body) as { addr: string; publickey: string; signature: string };
        const body = JSON.stringify({ addr: served.addr, owner: '0'.repeat(40), signature: served.signature, publickey: served.publickey });
        const answer = await httpRequest(h.port, 'POST', v.request.path, body);
        assert.equal(answer.status, 401, step);
        assert.equal((await httpRequest(h.port, 'GET', v.request.path)).status, 404);
      }
      // Probe 10 has no key: a registration without one is refused.
      const nokey = JSON.stringify({ addr: '3133a4cb6724463566115d8087b9ec9c2b9461d6', owner: '0'.repeat(40) });
      assert.equal((await httpRequest(h.port, 'POST', '/name/e2e-probe-nokey-i9c7g9', nokey)).status, 400);
      assert.equal(h.server.status().names, 0);
    } finally {
      await h.stop();
    }
  });

  it("an honest registration under a probe name is served with the probes' status and fields, and clients accept it", async () => {
    const h = await startHarness();
    try {
      const account = await makeAccount();
      for (const { vector } of vectors.filter((v) => PROBES.has(v.step))) {
        const name = vector.request.path.split('/')[2] ?? '';
        const fresh = vector.id.startsWith('10') ? account : await makeAccount();
        assert.equal((await httpRequest(h.port, 'POST', vector.request.path, registrationBody(fresh, name))).status, 200);
        const answer = await httpRequest(h.port, 'GET', vector.request.path);
        assert.equal(answer.status, vector.response.status);
        // Our answers always carry publickey+signature: the probes' fields, or a superset of them (probe 10).
        for (const key of keysOf(vector.response.body)) assert.ok(keysOf(answer.body).includes(key), key);
        assert.deepEqual(keysOf(answer.body), ['name', 'addr', 'publickey', 'signature']);
        assert.match((JSON.parse(answer.body) as { addr: string }).addr, /^0x[0-9a-f]{40}$/);
        assert.equal(checkLookupAnswer(name, JSON.parse(answer.body)), 'found');
      }
    } finally {
      await h.stop();
    }
  });
});

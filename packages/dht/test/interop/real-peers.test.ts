/**
 * (a) Real OpenDHT 2.4.12 nodes that know only our node (their single bootstrap) exchange
 * values through the network it forms: small, fragmented (> 600 B packed) and signed values,
 * the certificate of a secure node, and listen notifications.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Dhtnode, type PyNode, eventually, startDhtnode, startPyNode, stopAll } from './harness.js';
import { type OurNode, randomKeyHex, randomValueId, startOurNode } from './our-node.js';

describe('real nodes bootstrapped only from our node', { timeout: 90_000 }, () => {
  let ours: OurNode;
  let secure: PyNode; // python runner with an RSA identity: publishes its certificate
  let plain: PyNode;
  let signer: Dhtnode; // dhtnode -i: the only 2.4.12 tool that makes signed puts

  before(async () => {
    ours = await startOurNode();
    secure = await startPyNode({ bootstrap: ours.bootstrap, identity: true });
    plain = await startPyNode({ bootstrap: ours.bootstrap });
    signer = await startDhtnode({ bootstrap: `127.0.0.1:${ours.port}`, identity: true });
    // Both peers must have found each other through our node before values can travel.
    await eventually(
      async () => {
        const log = await plain.routingLog(4);
        return log.includes(secure.nodeId) && log.includes(ours.idHex) ? true : undefined;
      },
      15_000,
      'python peers learn each other from our node',
    );
  });

  after(async () => {
    await stopAll();
    await ours?.stop();
  });

  // After every test, on its own: everything the real nodes sent so far was understood.
  afterEach(() => {
    const c = ours.node.status().counters;
    assert.equal(c.dropped.malformed, 0, 'malformed datagrams');
    assert.equal(c.reassembly.dropped, 0, 'value-part reassemblies dropped');
    assert.equal(c.errorsSent, 0, 'errors sent to real nodes');
    assert.equal(c.errorsReceived, 0, 'errors received from real nodes');
  });

  it('a small value put by one real node is got by the other', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    const id = randomValueId();
    const put = await secure.put(key, Buffer.from('hello lanbox').toString('hex'), { valueId: id });
    assert.equal(put.ok, true, 'put acknowledged');
    assert.ok(put.nodes.includes(ours.idHex), `our node acknowledged the put: ${put.nodes}`);
    const got = await plain.get(key);
    const v = got.values.find((x) => x.id === id.toString());
    assert.ok(v, `value found: ${JSON.stringify(got.values)}`);
    assert.equal(Buffer.from(v.data, 'hex').toString(), 'hello lanbox');
  });

  it('a 3000-byte value (sent as value parts) put by one is got whole by the other', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    const id = randomValueId();
    const data = Buffer.alloc(3000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const put = await plain.put(key, data.toString('hex'), { valueId: id, userType: 'application/octet-stream' });
    assert.equal(put.ok, true);
    assert.ok(put.nodes.includes(ours.idHex), `our node acknowledged the put: ${put.nodes}`);
    const got = await secure.get(key);
    const v = got.values.find((x) => x.id === id.toString());
    assert.ok(v, `value found: ${JSON.stringify(got.values.map((x) => x.id))}`);
    assert.equal(v.data.length, 6000, 'whole 3000 bytes');
    assert.equal(v.data, data.toString('hex'));
    assert.equal(v.userType, 'application/octet-stream');
  });

  it('a value signed by dhtnode -i is got with its signature checked and its owner', { timeout: 40_000 }, async () => {
    const key = randomKeyHex();
    await signer.putSigned(key, 'signed-by-dhtnode');
    const got = await plain.get(key);
    const v = got.values.find((x) => x.signed);
    assert.ok(v, `signed value found: ${JSON.stringify(got.values)}`);
    assert.equal(Buffer.from(v.data, 'hex').toString(), 'signed-by-dhtnode');
    assert.equal(v.owner, signer.publicKeyId);
  });

  it("a secure node's certificate is retrievable at its public key id (type 8)", { timeout: 30_000 }, async () => {
    assert.ok(secure.publicKeyId);
    const got = await eventually(
      async () => {
        const r = await plain.get(secure.publicKeyId!);
        return r.values.some((v) => v.certificate) ? r : undefined;
      },
      20_000,
      'certificate published',
      500,
    );
    const cert = got.values.find((v) => v.certificate)!;
    assert.equal(cert.id, '1');
    // The value's data carries the PEM certificate the python node generated.
    const pemBody = secure
      .certificatePem!.split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
    assert.ok(Buffer.from(cert.data, 'hex').toString('latin1').replace(/\r?\n/g, '').includes(pemBody));
  });

  it('a listen on one real node sees a put from the other', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    const id = randomValueId();
    await plain.listen(key, 'a-listen');
    // Give the listen time to reach our node before the value is put.
    await eventually(() => (ours.node.status().storage.listeners > 0 ? true : undefined), 10_000, 'listen registered on our node');
    const put = await secure.put(key, Buffer.from('pushed').toString('hex'), { valueId: id });
    assert.equal(put.ok, true);
    const event = await plain.waitEvent((e) => e.tag === 'a-listen' && e.value.id === id.toString(), 15_000, 'listen sees put');
    assert.equal(event.expired, false);
    assert.equal(Buffer.from(event.value.data, 'hex').toString(), 'pushed');
  });
});

/**
 * (b) Our node's own client API with real OpenDHT 2.4.12 nodes: get and listen read values the
 * real nodes stored (small, fragmented, signed, encrypted, a secure node's certificate); put
 * stores values on them; a dhtnode permanent put (probe + put) is served.
 *
 * The real nodes form their network and store the values BEFORE our node exists; our node then
 * joins through one of them, so its gets fetch the values from the real storers (search,
 * paginated get, value parts in replies). (Only the certificates, permanent puts, are
 * re-announced to our node when it appears.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Value } from '../../src/index.js';
import { makeValue } from '../../src/codec/index.js';
import { type Dhtnode, type PyNode, eventually, startDhtnode, startPyNode, stopAll, withTimeout } from './harness.js';
import { type OurNode, findValue, hex, hexKey, randomKeyHex, randomValueId, startOurNode } from './our-node.js';

describe("our node's get, put and listen with real nodes", { timeout: 90_000 }, () => {
  let ours: OurNode;
  let storer: PyNode;
  let secure: PyNode;
  let signer: Dhtnode;
  // Stored by the real nodes before our node joins.
  const early = { key: randomKeyHex(), small: randomValueId(), big: randomValueId(), signedKey: randomKeyHex() };
  const bigData = Buffer.alloc(3000, 0x5a);

  before(async () => {
    storer = await startPyNode();
    const viaStorer: Array<[string, number]> = [
      ['127.0.0.1', storer.port],
      ['::1', storer.port],
    ];
    secure = await startPyNode({ bootstrap: viaStorer, identity: true });
    signer = await startDhtnode({ bootstrap: `127.0.0.1:${storer.port}`, identity: true });
    await eventually(async () => ((await storer.routingLog(4)).includes(signer.nodeId) ? true : undefined), 15_000, 'real network formed');
    assert.equal((await storer.put(early.key, Buffer.from('tiny').toString('hex'), { valueId: early.small })).ok, true);
    assert.equal((await storer.put(early.key, bigData.toString('hex'), { valueId: early.big })).ok, true);
    await signer.putSigned(early.signedKey, 'signed-for-ours');

    ours = await startOurNode({ bootstrap: [`127.0.0.1:${storer.port}`, `[::1]:${storer.port}`] });
    await eventually(() => (ours.node.status().nodes[4].good >= 3 ? true : undefined), 15_000, 'our node sees the three real nodes as good');
  });

  after(async () => {
    await stopAll();
    await ours?.stop();
  });

  it('gets a small and a fragmented value put by a real node', { timeout: 30_000 }, async () => {
    const values = await ours.node.get(hexKey(early.key), { timeoutMs: 10_000 });
    assert.equal(Buffer.from(findValue(values, early.small)?.body?.data ?? []).toString(), 'tiny');
    const v = findValue(values, early.big);
    assert.ok(v?.body, `fragmented value found among ${values.map((x) => x.id)}`);
    assert.equal(hex(v.body.data), bigData.toString('hex'));
    assert.equal(v.body.type, 0);
  });

  it('gets a value signed by dhtnode -i, with owner key and signature', { timeout: 30_000 }, async () => {
    const values = await ours.node.get(hexKey(early.signedKey), { timeoutMs: 10_000 });
    const v = values.find((x) => x.signature !== undefined);
    assert.ok(v?.body?.owner, `signed value found among ${values.length}`);
    assert.equal(Buffer.from(v.body.data).toString(), 'signed-for-ours');
    assert.equal(v.body.seq, 0);
    assert.equal(v.body.userType, 'text/plain');
    // The owner is the DER public key whose SHA-1 is the key id dhtnode printed.
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha1').update(v.body.owner).digest('hex'), signer.publicKeyId);
  });

  it("gets a secure real node's certificate at its public key id", { timeout: 30_000 }, async () => {
    const values = await eventually(
      async () => {
        const vs = await ours.node.get(hexKey(secure.publicKeyId!), { timeoutMs: 5000 });
        return vs.some((v) => v.body?.type === 8) ? vs : undefined;
      },
      20_000,
      'certificate found',
      500,
    );
    const cert = values.find((v) => v.body?.type === 8)!;
    assert.equal(cert.id, 1n);
    const pemBody = secure
      .certificatePem!.split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
    assert.ok(Buffer.from(cert.body!.data).toString('latin1').replace(/\r?\n/g, '').includes(pemBody));
  });

  it('an encrypted value (dhtnode -i to the secure python node) is opaque to us and decrypts for its recipient', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    // dhtnode first fetches the recipient's certificate (through the network) to encrypt for it.
    const out = await signer.command(`e ${key} ${secure.publicKeyId} for-your-eyes-only`, /^Put encrypted: (success|failure)/, 20_000);
    assert.match(out[out.length - 1]!, /^Put encrypted: success/);
    const values = await ours.node.get(hexKey(key), { timeoutMs: 10_000 });
    assert.equal(values.length, 1);
    assert.equal(values[0]!.body, undefined, 'no clear body');
    assert.ok((values[0]!.cypher?.length ?? 0) > 600, 'RSA/AES ciphertext, carried as value parts');
    const got = await secure.get(key);
    const clear = got.values.find((v) => v.id === values[0]!.id.toString());
    assert.equal(Buffer.from(clear?.data ?? '', 'hex').toString(), 'for-your-eyes-only');
    assert.equal(clear?.owner, signer.publicKeyId);
  });

  it('puts: a small and a 3000-byte value put through our node are stored by real nodes', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    const small = makeValue({ id: randomValueId(), body: { type: 0, data: Buffer.from('from-ours'), userType: 'text/plain' } });
    const big = makeValue({ id: randomValueId(), body: { type: 0, data: Buffer.alloc(3000, 0x33) } });
    const r1 = await ours.node.put(hexKey(key), small);
    const r2 = await ours.node.put(hexKey(key), big);
    assert.ok(r1.acks >= 3 && r2.acks >= 3, `three real nodes acknowledged: ${r1.acks}, ${r2.acks}`);
    // Acknowledgements are sent even when nothing is stored: read the real storer's storage.
    const line = await eventually(
      async () => (await storer.call<string>('storage')).split('\n').find((l) => l.includes(key) && /2 values/.test(l)),
      10_000,
      'real storer holds both values',
    );
    assert.ok(Number(/\((\d+) bytes\)/.exec(line)?.[1]) > 3000, line);
    // And a real node reads them back whole (the 3000-byte one through value parts).
    const got = await secure.get(key);
    assert.equal(Buffer.from(got.values.find((v) => v.id === small.id.toString())?.data ?? '', 'hex').toString(), 'from-ours');
    assert.equal(got.values.find((v) => v.id === big.id.toString())?.data, Buffer.alloc(3000, 0x33).toString('hex'));
  });

  it('stores and serves a permanent put from dhtnode (SELECT id,seq probe, then put)', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    const out = await signer.command(`pp ${key} permanent-value`, /^Put: (success|failure)/, 15_000);
    assert.match(out[out.length - 1]!, /^Put: success/);
    const values = await ours.node.get(hexKey(key), { timeoutMs: 10_000 });
    assert.ok(
      values.some((v) => Buffer.from(v.body?.data ?? []).toString() === 'permanent-value'),
      `permanent value found among ${values.length}`,
    );
  });

  it('listens: sees values already stored, then a value a real node puts later', { timeout: 30_000 }, async () => {
    const key = randomKeyHex();
    const before = randomValueId();
    const later = randomValueId();
    assert.equal((await storer.put(key, Buffer.from('first').toString('hex'), { valueId: before })).ok, true);
    const seen: Value[] = [];
    let wake: (() => void) | undefined;
    const cancel = ours.node.listen(hexKey(key), (values, expired) => {
      if (!expired) seen.push(...values);
      wake?.();
    });
    try {
      const waitFor = (id: bigint, what: string): Promise<void> =>
        withTimeout(
          new Promise<void>((resolve) => {
            const check = (): void => {
              if (findValue(seen, id)) resolve();
            };
            wake = check;
            check();
          }),
          15_000,
          what,
        );
      await waitFor(before, 'listen reports the stored value');
      assert.equal((await storer.put(key, Buffer.alloc(2000, 1).toString('hex'), { valueId: later })).ok, true);
      await waitFor(later, 'listen reports the value put later');
      assert.equal(findValue(seen, later)?.body?.data.length, 2000);
    } finally {
      cancel();
    }
  });
});

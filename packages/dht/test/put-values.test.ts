/**
 * Puts in the shapes the fast request path reads (plain `{type, data}` and encrypted values):
 * their bytes are copied once, into the string storage keeps, and body, ciphertext and packed
 * bytes are built from it only when asked. These tests go through a node, with a transport that
 * scribbles over each received datagram once the node has handled it (as a reused receive buffer
 * would): what is stored, answered to a get and sent to listeners must be the bytes that were put.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeMessage, makeValue, sha1 } from '../src/codec/index.js';
import { decodeMessage } from '../src/codec/decode.js';
import { createDhtNode, createManualClock, createMemoryNetwork, type DhtNode, type ManualClock, type Transport, type Value } from '../src/index.js';
import type { Message, Request } from '../src/codec/types.js';
import { literalResolver, seededRng } from './testnet.js';
import { newSigner, signed } from './storage-helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Peer {
  id: Uint8Array;
  address: string;
  inbox: Message[];
  request(request: Request): number;
  /** Requests the node sent this peer (its listener updates), acknowledged. */
  updates(): Array<Message & { kind: 'request' }>;
}

describe('puts read straight from the datagram', () => {
  let clock: ManualClock;
  let node: DhtNode;
  let scribbled = 0;
  let peers = 0;
  let tid = 1;
  let newPeer: () => Promise<Peer>;

  before(async () => {
    clock = createManualClock();
    const network = createMemoryNetwork({ scheduler: clock, latencyMs: 1 });
    const inner = network.createTransport({ address4: '10.0.0.1', address6: 'fd00::1' });
    // The node's own transport: after each datagram was handled, its bytes are overwritten.
    const transport: Transport = {
      ...inner,
      send: inner.send.bind(inner),
      bind: inner.bind.bind(inner),
      close: inner.close.bind(inner),
      localPort: inner.localPort.bind(inner),
      sendErrors: inner.sendErrors.bind(inner),
      onDatagram(handler) {
        inner.onDatagram((family, address, port, bytes) => {
          handler(family, address, port, bytes);
          bytes.fill(0xee);
          scribbled++;
        });
      },
    };
    delete (transport as { sendLent?: unknown }).sendLent;
    node = createDhtNode(
      { tickIntervalMs: 1000, rateLimit: null, storage: { maxValueSize: 400 } },
      { transport, clock, scheduler: clock, rng: seededRng('put-values'), resolver: literalResolver },
    );
    await node.start();
    newPeer = async () => {
      peers++;
      const address = `10.0.2.${peers}`;
      const t = network.createTransport({ address4: address, address6: `fd00:2::${peers}`, port: 6000 + peers });
      await t.bind();
      const id = seededRng(`peer-${peers}`)(20);
      const inbox: Message[] = [];
      const send = (msg: Message): void => t.send(4, '10.0.0.1', 4222, encodeMessage(msg));
      t.onDatagram((_f, _a, _p, bytes) => {
        const d = decodeMessage(bytes);
        if (d.ok) inbox.push(d.value);
      });
      return {
        id,
        address,
        inbox,
        request(request) {
          const t = tid++;
          send({ tid: t, networkId: 0, client: false, userAgent: 'RNG1', kind: 'request', request });
          return t;
        },
        updates() {
          const out = inbox.filter((m): m is Message & { kind: 'request' } => m.kind === 'request' && m.request.type === 'update');
          for (const u of out) send({ tid: u.tid, networkId: 0, client: false, kind: 'reply', reply: { id, seenAddress: '10.0.0.1' } });
          return out;
        },
      };
    };
  });
  after(async () => node.stop());

  const settle = (): void => clock.advance(10);
  const take = (p: Peer): Message[] => p.inbox.splice(0, p.inbox.length);
  const replyTo = (p: Peer, t: number): (Message & { kind: 'reply' }) | undefined =>
    take(p).find((m): m is Message & { kind: 'reply' } => m.kind === 'reply' && m.tid === t);

  async function tokenOf(p: Peer): Promise<Uint8Array> {
    const t = p.request({ type: 'get', id: p.id, key: sha1('token') });
    settle();
    const token = replyTo(p, t)?.reply.token;
    assert.ok(token);
    return token;
  }

  /** Packed bytes of the values a get of `key` returns, in hex. */
  function stored(p: Peer, key: Uint8Array): string[] {
    const t = p.request({ type: 'get', id: p.id, key });
    settle();
    const values = replyTo(p, t)?.reply.values;
    return values?.kind === 'inline' ? values.values.map((v) => hex(v.packed)) : [];
  }

  /** Subscribes `listener` to `key` (`update` notifications, socket id `sid`) and drops what it got so far. */
  async function subscribe(listener: Peer, key: Uint8Array, sid: number): Promise<void> {
    const ltoken = await tokenOf(listener);
    listener.request({ type: 'listen', id: listener.id, key, token: ltoken, socketId: sid, version: 1 });
    settle();
    listener.updates();
    take(listener);
  }

  /** `putter` puts `values` at `key` with its token; returns the request's tid. */
  function put(putter: Peer, key: Uint8Array, token: Uint8Array, values: Value[]): number {
    const t = putter.request({ type: 'put', id: putter.id, key, token, values: { kind: 'inline', values } });
    settle();
    return t;
  }

  /** `putter` stores `v` at `key`, `listener` subscribes, then `putter` puts the same bytes again; both acknowledged. */
  async function storeThenReput(putter: Peer, listener: Peer, key: Uint8Array, v: Value, sid: number): Promise<Uint8Array> {
    const token = await tokenOf(putter);
    assert.ok(replyTo(putter, put(putter, key, token, [v])));
    await subscribe(listener, key, sid);
    assert.ok(replyTo(putter, put(putter, key, token, [v])), 'a refresh is acknowledged');
    return token;
  }

  const plain = makeValue({ id: 0xfedcba9876543210n, body: { type: 0, data: new Uint8Array(64).map((_, i) => i) } });
  const encrypted = makeValue({ id: 77n, cypher: new Uint8Array(300).map((_, i) => 255 - (i % 256)) });

  it('stores plain and encrypted values with their exact bytes; listeners get those bytes, and fields read right', async () => {
    const putter = await newPeer();
    const listener = await newPeer();
    const key = sha1('put-values');
    const local: Value[] = [];
    const cancel = node.listen(key, (values, expired) => {
      if (!expired) local.push(...values);
    });
    const ltoken = await tokenOf(listener);
    listener.request({ type: 'listen', id: listener.id, key, token: ltoken, socketId: 3, version: 1 });
    settle();
    take(listener);
    const token = await tokenOf(putter);
    const before = scribbled;
    const t = putter.request({ type: 'put', id: putter.id, key, token, values: { kind: 'inline', values: [plain, encrypted] } });
    settle();
    assert.ok(scribbled > before, 'the put datagram was overwritten after it was handled');
    const acks = take(putter).filter((m) => m.kind === 'reply' && m.tid === t);
    assert.deepEqual(
      acks.map((m) => m.kind === 'reply' && m.reply.valueId),
      [plain.id, encrypted.id],
    );
    assert.deepEqual(stored(putter, key).sort(), [hex(plain.packed), hex(encrypted.packed)].sort());

    // The remote listener's update carries the bytes that were put.
    const updates = listener.updates();
    const sent = updates.flatMap((u) => (u.request.type === 'update' && u.request.values?.kind === 'inline' ? u.request.values.values : []));
    assert.deepEqual(sent.map((v) => hex(v.packed)).sort(), [hex(plain.packed), hex(encrypted.packed)].sort());

    // The local listener's values read like any decoded value, whichever field is asked first.
    assert.equal(local.length, 2);
    const [a, b] = local.sort((x, y) => (x.id < y.id ? -1 : 1));
    assert.equal(a!.id, 77n);
    assert.equal(hex(a!.cypher!), hex(encrypted.cypher!));
    assert.equal(a!.body, undefined);
    assert.equal(hex(a!.packed), hex(encrypted.packed));
    assert.equal(b!.id, plain.id);
    assert.equal(hex(b!.packed), hex(plain.packed));
    assert.equal(b!.body?.type, 0);
    assert.equal(hex(b!.body!.data), hex(plain.body!.data));
    assert.equal(b!.cypher, undefined);
    assert.equal(b!.signature, undefined);
    cancel();
  });

  it('a put of the same bytes refreshes; other content under a plain id is refused and changes nothing', async () => {
    const putter = await newPeer();
    const listener = await newPeer();
    const key = sha1('refresh-edit');
    const token = await storeThenReput(putter, listener, key, plain, 4);
    const refreshed = listener.updates().flatMap((u) => (u.request.type === 'update' ? (u.request.refreshed ?? []) : []));
    assert.deepEqual(refreshed, [plain.id]);
    assert.deepEqual(stored(putter, key), [hex(plain.packed)]);

    const rejectedBefore = node.status().storage.rejected['not-editable'] ?? 0;
    const other = makeValue({ id: plain.id, body: { type: 0, data: new Uint8Array(64).fill(9) } });
    const t = put(putter, key, token, [other]);
    assert.equal(replyTo(putter, t), undefined, 'a refused put is not acknowledged');
    assert.equal(node.status().storage.rejected['not-editable'], rejectedBefore + 1);
    assert.deepEqual(stored(putter, key), [hex(plain.packed)]);
  });

  it('a signed value (general decoder) put again with the same bytes refreshes; other content at its seq is refused', async () => {
    const putter = await newPeer();
    const listener = await newPeer();
    const key = sha1('signed-reput');
    const alice = newSigner();
    const v = signed(alice, 42n, 3, 'announcement');
    const token = await storeThenReput(putter, listener, key, v, 6);
    const updates = listener.updates();
    assert.deepEqual(
      updates.flatMap((u) => (u.request.type === 'update' ? (u.request.refreshed ?? []) : [])),
      [42n],
    );
    assert.equal(
      updates.some((u) => u.request.type === 'update' && u.request.values !== undefined),
      false,
      'no values sent again',
    );

    const oldSeqBefore = node.status().storage.rejected['old-seq'] ?? 0;
    const t = put(putter, key, token, [signed(alice, 42n, 3, 'Announcement')]);
    assert.equal(replyTo(putter, t), undefined);
    assert.equal(node.status().storage.rejected['old-seq'], oldSeqBefore + 1);
    assert.deepEqual(stored(putter, key), [hex(v.packed)]);
  });

  it('counts size as OpenDHT does (payload bytes) and applies the certificate rule to type 8', async () => {
    const putter = await newPeer();
    const token = await tokenOf(putter);
    const key = sha1('sizes');
    const fits = makeValue({ id: 1n, body: { type: 0, data: new Uint8Array(400) } });
    const tooLarge = makeValue({ id: 2n, body: { type: 0, data: new Uint8Array(401) } });
    const cypherTooLarge = makeValue({ id: 3n, cypher: new Uint8Array(401) });
    const notACertificate = makeValue({ id: 4n, body: { type: 8, data: new Uint8Array(40).fill(1) } });
    const rejected = (): Record<string, number> => node.status().storage.rejected;
    const tooLargeBefore = rejected()['too-large'] ?? 0;
    const badCertBefore = rejected()['bad-certificate'] ?? 0;
    for (const v of [fits, tooLarge, cypherTooLarge]) putter.request({ type: 'put', id: putter.id, key, token, values: { kind: 'inline', values: [v] } });
    putter.request({ type: 'put', id: putter.id, key: putter.id, token, values: { kind: 'inline', values: [notACertificate] } });
    settle();
    assert.equal(rejected()['too-large'], tooLargeBefore + 2);
    assert.equal(rejected()['bad-certificate'], badCertBefore + 1);
    assert.deepEqual(stored(putter, key), [hex(fits.packed)]);
    assert.deepEqual(stored(putter, putter.id), []);
  });
});

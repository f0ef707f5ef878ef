/**
 * Our node's answers have the same shape as a real dhtnode 2.4.12's: for the same requests, the
 * answer datagrams carry the same keys, in the same order, with the same msgpack types (str vs
 * bin vs int, nested maps and arrays). Only the contents differ (ids, tokens, the user agent),
 * plus one deliberate difference: our listen confirmation carries a token, as OpenDHT ≥ 3.7.4's
 * does (spec §7.6). A peer parsing answers the way OpenDHT does cannot tell the two apart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Field, makeValue, type Request } from '../../src/codec/index.js';
import { MsgMap, decodeMsgpack, type MsgValue } from '../../src/codec/msgpack/reader.js';
import { type Dhtnode, startDhtnode, stopAll } from './harness.js';
import { type OurNode, randomValueId, startOurNode } from './our-node.js';
import { RawClient } from './raw-client.js';

/** Keys, key order and msgpack types of a datagram, contents left out. */
function shape(v: MsgValue): unknown {
  if (v instanceof MsgMap) return v.keys.map((k, i) => [typeof k === 'string' ? k : `#${String(k)}`, shape(v.values[i]!)]);
  if (Array.isArray(v)) return ['array', ...v.map(shape)];
  if (v instanceof Uint8Array) return 'bin';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  return String(v);
}

function shapeOf(bytes: Uint8Array): unknown {
  const decoded = decodeMsgpack(bytes);
  assert.ok(decoded, 'answer is msgpack');
  return shape(decoded.value);
}

describe('answers shaped like dhtnode 2.4.12', { timeout: 60_000 }, () => {
  let ours: OurNode;
  let real: Dhtnode;
  const clients: RawClient[] = [];
  // One client per server, each talking to a lone node (no node lists on either side).
  const targets: Array<{ name: string; client: RawClient; token?: Uint8Array }> = [];

  before(async () => {
    ours = await startOurNode();
    real = await startDhtnode();
    for (const [name, port] of [
      ['ours', ours.port],
      ['dhtnode', real.port],
    ] as const) {
      const client = await RawClient.open('127.0.0.1', port);
      clients.push(client);
      targets.push({ name, client });
    }
  });

  after(async () => {
    for (const c of clients) c.close();
    await stopAll();
    await ours?.stop();
  });

  /**
   * Sends `make(target)` to both servers and asserts equal answer shapes, after `expected` turns
   * dhtnode 2.4.12's shape into the one we mean to send (for deliberate differences).
   */
  async function same(what: string, make: (t: (typeof targets)[number]) => Request, expected: (dhtnodeShape: unknown) => unknown = (x) => x): Promise<void> {
    const shapes: unknown[] = [];
    for (const t of targets) {
      const answer = await t.client.request(make(t));
      if (answer.reply?.token) t.token = answer.reply.token;
      shapes.push(shapeOf(answer.bytes));
    }
    assert.deepEqual(shapes[0], expected(shapes[1]), `${what}: ours vs dhtnode`);
  }

  it('ping, find, get (nothing stored), put, get (values, SELECT id, SELECT id,seq), refresh', { timeout: 30_000 }, async () => {
    const key = randomBytes(20);
    const value = makeValue({ id: randomValueId(), body: { type: 0, data: Buffer.from('shape'), userType: 'text/plain' } });
    await same('pong', (t) => ({ type: 'ping', id: t.client.id }));
    await same('find reply', (t) => ({ type: 'find', id: t.client.id, target: randomBytes(20) }));
    await same('find reply, w=[2,10]', (t) => ({ type: 'find', id: t.client.id, target: randomBytes(20), want: [4, 6] }));
    await same('get reply, nothing stored', (t) => ({ type: 'get', id: t.client.id, key }));
    await same('put reply', (t) => ({ type: 'put', id: t.client.id, key, token: t.token!, values: { kind: 'inline', values: [value] } }));
    await same('get reply with a value', (t) => ({ type: 'get', id: t.client.id, key }));
    await same('get reply to SELECT id', (t) => ({ type: 'get', id: t.client.id, key, query: { select: [Field.id], where: [] } }));
    await same('get reply to SELECT id,seq', (t) => ({ type: 'get', id: t.client.id, key, query: { select: [Field.id, Field.seq], where: [] } }));
    await same('get reply to WHERE id', (t) => ({ type: 'get', id: t.client.id, key, query: { select: [], where: [{ field: Field.id, value: value.id }] } }));
    await same('refresh reply', (t) => ({ type: 'refresh', id: t.client.id, key, valueId: value.id, token: t.token! }));
  });

  it('listen confirmation: like 2.4.12 plus the token OpenDHT ≥ 3.7.4 adds after sa', { timeout: 30_000 }, async () => {
    const key = randomBytes(20);
    await same('get for a token', (t) => ({ type: 'get', id: t.client.id, key }));
    const withToken = (dhtnodeShape: unknown): unknown => {
      const [r, ...rest] = dhtnodeShape as [[string, Array<[string, unknown]>], ...unknown[]];
      assert.equal(r[0], 'r');
      return [['r', [...r[1], ['token', 'bin']]], ...rest];
    };
    await same('listen confirmation', (t) => ({ type: 'listen', id: t.client.id, key, token: t.token!, socketId: 5, version: 1 }), withToken);
  });

  it('errors 203 (no key), 401 (bad token), 404 (refresh of an unknown key)', { timeout: 30_000 }, async () => {
    await same('error 203', (t) => ({ type: 'get', id: t.client.id }));
    const value = makeValue({ id: randomValueId(), body: { type: 0, data: Buffer.from('x') } });
    await same('error 401', (t) => ({
      type: 'put',
      id: t.client.id,
      key: randomBytes(20),
      token: randomBytes(32),
      values: { kind: 'inline', values: [value] },
    }));
    await same('error 404', (t) => ({ type: 'refresh', id: t.client.id, key: randomBytes(20), valueId: 7n, token: t.token! }));
  });
});

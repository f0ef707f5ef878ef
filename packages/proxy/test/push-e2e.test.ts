/**
 * Push end to end without a phone. A test client subscribes to the box's push service exactly
 * like the ntfy app (`GET /<topic>/json`, a `up` + 12-character topic), registers that endpoint
 * with the proxy exactly like Jami (`SUBSCRIBE /key/H`, platform `unifiedpush`, with Web Push keys
 * and once without), a value arrives on the DHT, and the notification read from the stream is
 * decrypted with an independent implementation (npm `http_ece`, the library `web-push` uses).
 * Then the whole box restarts (DHT node, proxy, push service; level on disk) and it works again
 * without the phone registering anew. Last: no open relay.
 */
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Level } from 'level';
import { createDhtNode, makeValue, type DhtNode } from '@lanbox/dht';
import { createDhtProxy, keyFromParam, type DhtProxy } from '@lanbox/proxy';
import { createPushService, type PushService } from '@lanbox/push';
import { eventually, http, openStream, type LineStream } from './helpers.js';
// @ts-expect-error http_ece ships no type declarations
import ece from 'http_ece';

const decryptEce = (ece as { decrypt(b: Buffer, p: object): Buffer }).decrypt;

interface Running {
  dht: DhtNode;
  proxy: DhtProxy;
  push: PushService;
  db: Level<string, string>;
}

let dir: string;
let pushPort = 0;
let box: Running;

async function startAll(): Promise<Running> {
  const db = new Level<string, string>(join(dir, 'db'));
  await db.open();
  const dht = createDhtNode({ port: 0, bind4: '127.0.0.1', bind6: null, rateLimit: null }, {});
  await dht.start();
  const push = createPushService({ port: pushPort, host: '127.0.0.1', tickIntervalMs: 0 });
  await push.start();
  pushPort = push.port()!;
  const own = `http://127.0.0.1:${pushPort}`;
  const proxy = createDhtProxy(
    { port: 0, host: '127.0.0.1' },
    { dht, db: db.sublevel<string, string>('proxy', {}), allowPushTarget: (url) => url.origin === own },
  );
  await proxy.start();
  return { dht, proxy, push, db };
}

async function stopAll(r: Running): Promise<void> {
  await r.proxy.stop();
  await r.push.stop();
  await r.dht.stop();
  await r.db.close();
}

/** A phone's UnifiedPush keys, as the connector library makes them. */
function phoneKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, topic: `${ecdh.getPublicKey().toString('base64url')}|${auth.toString('base64url')}` };
}

const topicName = () => `up${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12)}`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lbpx-push-'));
  box = await startAll();
});
after(async () => {
  await stopAll(box).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

const key = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const keys = phoneKeys();
const encTopic = topicName();
const plainTopic = topicName();
let lastSeen = 'none';

async function ntfySubscribe(topics: string, since: string): Promise<LineStream> {
  const s = await openStream(pushPort, 'GET', `/${topics}/json?since=${since}`);
  assert.equal(s.status, 200);
  const [open] = await s.waitLines(1);
  assert.equal(JSON.parse(open!).event, 'open');
  return s;
}

function messageLines(s: LineStream) {
  return s.lines
    .map((l) => JSON.parse(l) as { event: string; id: string; topic: string; message: string; encoding?: string })
    .filter((m) => m.event === 'message');
}

async function putFromAnotherDevice(dht: DhtNode, id: bigint, text: string) {
  const r = await dht.put(keyFromParam(key), makeValue({ id, body: { type: 0, data: new TextEncoder().encode(text) } }));
  assert.ok(r.stored, `put refused: ${r.refused}`);
}

function decrypt(message: { message: string; encoding?: string }) {
  assert.equal(message.encoding, 'base64', 'an aes128gcm body is binary: the push service keeps it as base64');
  const plain = decryptEce(Buffer.from(message.message, 'base64'), { version: 'aes128gcm', privateKey: keys.ecdh, authSecret: keys.auth });
  return JSON.parse(plain.toString('utf8')) as Record<string, string | number>;
}

test('a value on the DHT wakes the phone: encrypted with its keys, and plain for an old client', async () => {
  const stream = await ntfySubscribe(`${encTopic},${plainTopic}`, 'none');
  const sub = (topic: string, t: string) =>
    http(
      box.proxy.port()!,
      'SUBSCRIBE',
      `/key/${key}`,
      `${JSON.stringify({ key: `http://127.0.0.1:${pushPort}/${topic}?up=1`, client_id: 'acct1', session_id: 'sessAbc1', platform: 'unifiedpush', topic: t })} `,
    );
  const first = await sub(encTopic, keys.topic);
  assert.equal(first.status, 200, first.body);
  assert.equal(first.body, '{}\n');
  const plain = await sub(plainTopic, '');
  assert.equal(plain.status, 200);
  assert.equal(box.proxy.status().subscriptions.unifiedpush, 2);

  await putFromAnotherDevice(box.dht, 777n, 'hello phone');
  await stream.waitLines(3);
  const msgs = messageLines(stream);
  const enc = msgs.find((m) => m.topic === encTopic)!;
  const clear = msgs.find((m) => m.topic === plainTopic)!;
  const data = decrypt(enc);
  assert.equal(data.key, key);
  assert.equal(data.to, 'acct1');
  assert.equal(data.s, 'sessAbc1');
  assert.equal(data.ids, '777');
  assert.equal(typeof data.t, 'number');
  assert.equal(clear.encoding, undefined);
  const plainData = JSON.parse(clear.message) as Record<string, unknown>;
  assert.equal(plainData.key, key);
  assert.equal(plainData.ids, '777');
  assert.equal(box.proxy.status().pushes.encrypted, 1);
  // The push service answers the proxy's POST after it wrote the line to the stream.
  await eventually(() => (box.proxy.status().pushes.sent >= 2 ? true : undefined), 5000, 'both pushes acknowledged');
  lastSeen = msgs.at(-1)!.id;
  stream.close();
});

test('after a restart of the whole box, the same subscription still wakes the phone', async () => {
  await stopAll(box);
  box = await startAll();
  assert.equal(box.proxy.status().persist.restoredSubscriptions, 2);
  // The ntfy app reconnects from the last message it saw.
  const stream = await ntfySubscribe(encTopic, lastSeen);
  await putFromAnotherDevice(box.dht, 778n, 'after restart');
  await stream.waitLines(2);
  const data = decrypt(messageLines(stream)[0]!);
  assert.equal(data.key, key);
  assert.equal(data.ids, '778');
  stream.close();
});

test('a message published while the phone was away is replayed from the cache', async () => {
  await putFromAnotherDevice(box.dht, 779n, 'while away');
  const deadline = Date.now() + 5000;
  while (box.push.status().published < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const polled = await http(pushPort, 'GET', `/${encTopic}/json?poll=1&since=all`);
  const ids = polled.body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => decrypt(JSON.parse(l) as { message: string; encoding?: string }).ids);
  assert.ok(ids.includes('779'), ids.join(','));
});

test('no open relay: any other endpoint is refused by default and counted', async () => {
  const before = box.proxy.status().pushes.refused;
  for (const endpoint of [
    'http://192.0.2.7:8080/upAAAAAAAAAAAA?up=1',
    `http://127.0.0.1:${pushPort + 1}/upBBBBBBBBBBBB?up=1`,
    'https://ntfy.sh/upCCCCCCCCCCCC?up=1',
    'file:///etc/passwd',
    'not a url',
  ]) {
    const r = await http(
      box.proxy.port()!,
      'SUBSCRIBE',
      `/key/${key}`,
      JSON.stringify({ key: endpoint, client_id: 'x', session_id: 's', platform: 'unifiedpush', topic: '' }),
    );
    assert.equal(r.status, 403, endpoint);
    assert.match(JSON.parse(r.body).err, /not allowed/);
  }
  // A permanent put carrying such an endpoint, and a ping, are refused the same way.
  const put = await http(
    box.proxy.port()!,
    'POST',
    `/key/${key}`,
    JSON.stringify({ data: 'eA==', type: 0, permanent: { key: 'http://192.0.2.7/up', client_id: 'x', session_id: 's', platform: 'unifiedpush', topic: '' } }),
  );
  assert.equal(put.status, 403);
  const ping = await http(
    box.proxy.port()!,
    'POST',
    '/node/pingPush',
    JSON.stringify({ key: 'http://192.0.2.7/up', client_id: 'x', platform: 'unifiedpush', topic: '' }),
  );
  assert.equal(ping.status, 403);
  assert.equal(box.proxy.status().pushes.refused, before + 7);
  assert.equal(box.proxy.status().subscriptions.unifiedpush, 2);
});

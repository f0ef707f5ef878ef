/**
 * Bounds and timers: listen streams and subscriptions per address, body size, slowloris, a
 * client that goes away frees everything, 22 h renewal pushes and 24 h expiry of subscriptions
 * and permanent puts (manual clock), dedup of a refreshed permanent put, persistence records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLevel } from 'memory-level';
import type { PushRequest } from '@lanbox/proxy';
import { eventually, http, openStream, raw, startBox } from './helpers.js';

const KEY = '00112233445566778899aabbccddeeff00112233';

test('listen streams per address are bounded; a client that leaves frees its streams and the DHT listen', async () => {
  const box = await startBox({ maxListensPerAddress: 3 });
  try {
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(await openStream(box.port, 'GET', `/key/${KEY.slice(0, 39)}${i}/listen`));
    assert.ok(streams.every((s) => s.status === 200));
    const refused = await http(box.port, 'GET', `/key/${KEY}/listen`);
    assert.equal(refused.status, 503);
    assert.equal(box.proxy.status().refused.listens, 1);
    assert.equal(box.proxy.status().keysWatched, 3);
    assert.equal(box.dht.status().listens, 3);
    for (const s of streams) s.close();
    await eventually(() => (box.proxy.status().listens === 0 ? true : undefined), 5000, 'streams freed');
    assert.equal(box.proxy.status().keysWatched, 0);
    assert.equal(box.dht.status().listens, 0);
    assert.equal((await openStream(box.port, 'GET', `/key/${KEY}/listen`)).status, 200);
  } finally {
    await box.stop();
  }
});

test('bodies over the limit get 413; slow headers are cut after the headers timeout', async () => {
  const box = await startBox({ maxBodyBytes: 1000, headersTimeoutMs: 1000 });
  try {
    const big = await http(box.port, 'POST', `/key/${KEY}`, JSON.stringify({ data: 'A'.repeat(2000), type: 0 }));
    assert.equal(big.status, 413);
    assert.equal(box.proxy.status().refused.bodyTooLarge, 1);
    // Slowloris: a request line and one header, then nothing.
    const slow = await raw(box.port, `GET /key/${KEY} HTTP/1.1\r\nHost: x\r\n`, 15_000);
    assert.ok(slow.closedByServer, 'the server closed the idle half-sent request');
    assert.equal(box.proxy.status().connections, 0);
  } finally {
    await box.stop();
  }
});

test('subscriptions: bounded per address, a renewal push at 22 h, gone at 24 h', async () => {
  const pushes: PushRequest[] = [];
  const box = await startBox(
    { maxSubscriptionsPerAddress: 2, allowedPushOrigins: ['http://127.0.0.1:9'] },
    {
      pushTransport: async (r) => {
        pushes.push(r);
        return 200;
      },
    },
    { manualClock: true },
  );
  try {
    const body = (n: number) =>
      JSON.stringify({ key: `http://127.0.0.1:9/up${n}?up=1`, client_id: 'acct', session_id: 'sess', platform: 'unifiedpush', topic: '' });
    assert.equal((await http(box.port, 'SUBSCRIBE', `/key/${KEY}`, body(1))).body, '{}\n');
    assert.equal((await http(box.port, 'SUBSCRIBE', `/key/${KEY}`, body(2))).status, 200);
    assert.equal((await http(box.port, 'SUBSCRIBE', `/key/${KEY}`, body(3))).status, 503);
    assert.equal(box.proxy.status().refused.subscriptions, 1);
    // Same subscription again with refresh: chunked `{}`.
    assert.equal((await http(box.port, 'SUBSCRIBE', `/key/${KEY}`, body(1).replace('}', ',"refresh":true}'))).body, '{}\n');
    await box.clock!.advanceAsync(22 * 3600_000 + 1000, 600_000);
    box.proxy.tick();
    await eventually(() => (pushes.length >= 2 ? true : undefined), 5000, 'renewal pushes');
    const data = pushes.map((p) => JSON.parse(Buffer.from(p.body).toString()) as Record<string, string>);
    assert.deepEqual(
      data.map((d) => [d.timeout, d.to, d.s]),
      [
        [KEY, 'acct', 'sess'],
        [KEY, 'acct', 'sess'],
      ],
    );
    await box.clock!.advanceAsync(2 * 3600_000, 600_000);
    box.proxy.tick();
    assert.equal(box.proxy.status().subscriptions.total, 0);
    assert.equal(box.proxy.status().keysWatched, 0);
    // Unsubscribe of something unknown is fine; without a key it is "not implemented" as in OpenDHT.
    assert.equal((await http(box.port, 'UNSUBSCRIBE', `/key/${KEY}`, body(1))).status, 200);
    assert.equal((await http(box.port, 'UNSUBSCRIBE', `/key/${KEY}`, '{"client_id":"x"}')).status, 501);
  } finally {
    await box.stop();
  }
});

test('permanent puts: the refresh is deduplicated, a renewal push names the value, the put ends at 24 h, records are persisted', async () => {
  const pushes: PushRequest[] = [];
  const db = new MemoryLevel<string, string>();
  const box = await startBox(
    { allowedPushOrigins: ['http://127.0.0.1:9'] },
    {
      pushTransport: async (r) => {
        pushes.push(r);
        return 200;
      },
      db,
    },
    { manualClock: true },
  );
  try {
    const body = JSON.stringify({
      data: 'cA==',
      type: 0,
      permanent: { key: 'http://127.0.0.1:9/upP?up=1', client_id: 'acct', session_id: 's1', platform: 'unifiedpush', topic: '' },
    });
    const first = await http(box.port, 'POST', `/key/${KEY}`, body);
    assert.equal(first.status, 200);
    const again = await http(box.port, 'POST', `/key/${KEY}`, body.replace('"s1"', '"s2"'));
    assert.equal(again.body, first.body);
    assert.equal(box.proxy.status().permanentPuts, 1);
    const id = (JSON.parse(first.body) as { id: string }).id;
    await eventually(
      async () => {
        for await (const [k] of db.iterator()) if (k === `put:${KEY}:${id}`) return true;
        return undefined;
      },
      5000,
      'put persisted',
    );
    await box.clock!.advanceAsync(22 * 3600_000 + 1000, 600_000);
    box.proxy.tick();
    await eventually(() => (pushes.length >= 1 ? true : undefined), 5000, 'renewal push');
    assert.deepEqual(JSON.parse(Buffer.from(pushes[0]!.body).toString()), { s: 's2', timeout: KEY, to: 'acct', vid: id });
    // The value is still there, kept alive by the node's re-announcements.
    assert.match((await http(box.port, 'GET', `/key/${KEY}`)).body, new RegExp(`"id":"${id}"`));
    await box.clock!.advanceAsync(2 * 3600_000, 600_000);
    box.proxy.tick();
    assert.equal(box.proxy.status().permanentPuts, 0);
    await eventually(
      async () => {
        for await (const [k] of db.iterator()) if (k.startsWith('put:')) return undefined;
        return true;
      },
      5000,
      'record removed',
    );
  } finally {
    await box.stop();
  }
});

test('permanent puts per address are bounded', async () => {
  const box = await startBox({ maxPermanentPutsPerAddress: 2 });
  try {
    for (const d of ['YQ==', 'Yg=='])
      assert.equal((await http(box.port, 'POST', `/key/${KEY}`, JSON.stringify({ data: d, type: 0, permanent: true }))).status, 200);
    assert.equal((await http(box.port, 'POST', `/key/${KEY}`, JSON.stringify({ data: 'Yw==', type: 0, permanent: true }))).status, 503);
    assert.equal(box.proxy.status().refused.permanentPuts, 1);
  } finally {
    await box.stop();
  }
});

test('a subscription or permanent put is acknowledged only once stored: a failing store gets 503 and nothing is kept', async () => {
  const failing = {
    put: async () => {
      throw new Error('disk full');
    },
    del: async () => {},
    iterator: async function* (): AsyncGenerator<[string, string]> {},
  };
  const box = await startBox({ allowedPushOrigins: ['http://127.0.0.1:9'] }, { db: failing });
  try {
    const sub = await http(
      box.port,
      'SUBSCRIBE',
      `/key/${KEY}`,
      JSON.stringify({ key: 'http://127.0.0.1:9/upX?up=1', client_id: 'c', session_id: 's', platform: 'unifiedpush', topic: '' }),
    );
    assert.equal(sub.status, 503);
    const put = await http(box.port, 'POST', `/key/${KEY}`, JSON.stringify({ data: 'YQ==', type: 0, permanent: true }));
    assert.equal(put.status, 503);
    const st = box.proxy.status();
    assert.equal(st.subscriptions.total, 0);
    assert.equal(st.permanentPuts, 0);
    assert.equal(st.keysWatched, 0);
    assert.equal(st.persist.errors, 2);
  } finally {
    await box.stop();
  }
});

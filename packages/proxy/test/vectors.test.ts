/**
 * Replay of every captured exchange with a real OpenDHT 2.4.12 proxy (test/vectors/, see its
 * README): each request is sent to a fresh box whose DHT holds what the capture's answer shows,
 * and our answer is compared with the captured one — status, the headers clients and browsers
 * rely on, and bodies byte for byte where they are deterministic (values, errors), by shape where
 * they are not (node info, stats, ids the server picked at random). The push captures (requests
 * the proxy sent to a gorush gateway and a UnifiedPush endpoint) are compared with what our proxy
 * sends for the same subscriptions and puts.
 *
 * Where we differ on purpose (4.x behaviour, the box being the storage itself) the expectation is
 * written next to the vector's name in DIFFERENCES.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { test } from 'node:test';
import { makeValue } from '@lanbox/dht';
import { keyFromParam, parseJson, valueFromJson, type PushRequest } from '@lanbox/proxy';
import { openStream, raw, startBox, type Box } from './helpers.js';

interface Vector {
  name: string;
  request: { method: string; target: string; headers: Array<[string, string]>; raw_head: string; body: { text?: string } };
  response: null | {
    status: number;
    headers: Array<[string, string]>;
    body: { text?: string };
    chunks?: Array<{ t_ms: number; data: string }>;
  };
  note?: string;
}

const DIR = new URL('./vectors/', import.meta.url);
const index = JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as Array<{ file: string }>;
const load = (file: string) => JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Vector;
const all = index.map((e) => load(e.file));

/** Vectors where the box answers as OpenDHT 4.x does, or as a box that is the storage itself. */
const DIFFERENCES: Record<string, { status: number; body?: string }> = {
  // 2.4.12 has no pingPush route; 4.x has one (that never answers); we answer {}.
  ping_push: { status: 200 },
  // 4.x routes OPTIONS on the listen path for browsers.
  options_key_listen: { status: 200 },
  // The captured proxy ran on a node with no peers, where a put fails. On the box, our own node
  // keeps the value: that is the storage every phone on the LAN reads.
  isolated_post: { status: 200 },
  // A unifiedpush subscription whose token is no URL of an allowed push service: refused (no
  // open relay); OpenDHT accepts it and later fails to post.
  subscribe_key: { status: 403 },
};

/** A proxy request we replay; the gateway/UnifiedPush captures are checked in the push test below. */
const isServerExchange = (v: Vector) => !v.name.startsWith('gateway_') && !v.name.startsWith('unifiedpush_');

/** Exchanges that only make sense after an earlier one (same capture, same key). */
const BEFORE: Record<string, string[]> = {
  post_permanent_true_again: ['post_permanent_true'],
  post_permanent_push_refresh: ['post_permanent_push'],
  subscribe_existing_norefresh: ['subscribe_new'],
  subscribe_existing_refresh: ['subscribe_new'],
  client_put_certificate_announce_repeat: ['client_put_certificate_announce'],
};

const byName = new Map(all.map((v) => [v.name, v]));
const withoutNul = (s: string) => s.replace(/\\u0000/g, '');
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const keyParam = (target: string) => {
  const path = target
    .split('?')[0]!
    .split('/')
    .filter((x) => x !== '');
  return path[0] === 'key' ? path[1] : path[0];
};

function send(port: number, v: Vector, host = '127.0.0.1'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [k, val] of v.request.headers) if (!/^(content-length|connection)$/i.test(k)) headers[k] = val;
    const req = request({ host, port, method: v.request.method, path: v.request.target, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${v.name}`)));
    req.on('error', reject);
    req.end(v.request.body.text ?? undefined);
  });
}

/** Store the values a captured answer shows, so our DHT holds what the captured one did. */
async function seed(box: Box, target: string, text: string): Promise<void> {
  const param = keyParam(target);
  if (param === undefined) return;
  const key = keyFromParam(param);
  for (const l of lines(text)) {
    const j = parseJson(l);
    assert.ok(j.ok);
    const p = valueFromJson(j.value);
    assert.ok(p.ok, l);
    if (l.includes('"expired":true')) continue;
    const r = await box.dht.put(key, makeValue(p.value.value));
    assert.ok(r.stored, `seeded value refused (${r.refused}): ${l.slice(0, 120)}`);
  }
}

function checkCommonHeaders(name: string, headers: Record<string, string | string[] | undefined>) {
  assert.equal(headers['content-type'], 'application/json', name);
  assert.equal(headers['access-control-allow-origin'], '*', name);
}

for (const v of all.filter(isServerExchange)) {
  test(`vector ${v.name}: ${v.request.method} ${v.request.target}`, async () => {
    const pushes: PushRequest[] = [];
    const box = await startBox(
      { host: '::', allowedPushOrigins: ['http://127.0.0.1:8090'], iosBundleId: 'com.example.bundle' },
      {
        pushTransport: async (r) => {
          pushes.push(r);
          return 200;
        },
      },
      { manualClock: true },
    );
    try {
      for (const before of BEFORE[v.name] ?? []) await send(box.port, byName.get(before)!);
      const expected = v.response;
      const diff = DIFFERENCES[v.name];

      if (expected === null) {
        // LISTEN / STATS: llhttp refuses the method before any handler; no 200, connection closed.
        const r = await raw(box.port, v.request.raw_head, 5000);
        assert.ok(r.closedByServer, 'server closed the connection');
        assert.doesNotMatch(r.text, /^HTTP\/1\.1 200/);
        return;
      }

      const isListen = v.request.target.endsWith('/listen') && v.request.method === 'GET';
      if (isListen) {
        const chunks = expected.chunks ?? [];
        const early = chunks.filter((c) => c.t_ms < 100 && !c.data.includes('"expired":true'));
        await seed(box, v.request.target, early.map((c) => c.data).join(''));
        const stream = await openStream(box.port, 'GET', v.request.target);
        assert.equal(stream.status, 200);
        const later = chunks.filter((c) => !early.includes(c) && c.data !== '' && !c.data.includes('"expired":true'));
        for (const c of later) await seed(box, v.request.target, c.data);
        const fresh = chunks.filter((c) => c.data !== '' && !c.data.includes('"expired":true')).length;
        await stream.waitLines(fresh);
        const expiredCount = chunks.filter((c) => c.data.includes('"expired":true')).length;
        if (expiredCount > 0) {
          // Type 0 values live 10 minutes; the capture's expiry lines came then.
          await box.clock!.advanceAsync(11 * 60_000, 1000);
          await stream.waitLines(fresh + expiredCount);
        }
        const want = chunks.map((c) => withoutNul(c.data).trim()).filter((l) => l !== '');
        assert.deepEqual([...stream.lines].sort(), [...want].sort());
        // Each expiry line follows the line that announced the value.
        for (const [i, l] of stream.lines.entries()) {
          if (l.includes('"expired":true')) assert.ok(stream.lines.slice(0, i).includes(l.replace(',"expired":true', '')), l);
        }
        stream.close();
        return;
      }

      const body = expected.body.text ?? '';
      const carriesValues =
        expected.status === 200 && body.startsWith('{"') && !body.startsWith('{"ipv4"') && !body.startsWith('{"id"') && !body.startsWith('{"listenCount"');
      if (carriesValues && v.request.method !== 'POST') await seed(box, v.request.target, body);

      const host = v.name === 'identity_get_ipv6_loopback' ? '::1' : '127.0.0.1';
      const got = await send(box.port, v, host);
      assert.equal(got.status, diff?.status ?? expected.status, `${v.name}: ${got.body}`);

      if (got.status === 501) {
        assert.equal(got.headers.connection, 'close');
        assert.equal(got.headers['content-length'], '0');
        assert.equal(got.headers['access-control-allow-origin'], undefined);
        assert.equal(got.body, '');
        return;
      }
      if (diff !== undefined) return;
      checkCommonHeaders(v.name, got.headers);
      for (const h of ['access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age']) {
        const want: string | undefined = expected.headers.find(([k]) => k.toLowerCase() === h)?.[1];
        if (want !== undefined) assert.equal(got.headers[h], want, h);
      }

      if (body.startsWith('{"ipv4"') || body.startsWith('{"id"')) {
        const j = JSON.parse(got.body) as Record<string, unknown> & { ipv4: { good: number } };
        const w = JSON.parse(body) as Record<string, unknown>;
        for (const k of Object.keys(w)) if (k !== 'id') assert.ok(k in j, `node info lacks ${k}`);
        assert.match(String(j.node_id), /^[0-9a-f]{40}$/);
        assert.ok(j.ipv4.good >= 1, 'a client needs good >= 1 to call the proxy connected');
        assert.equal(j.public_ip, w.public_ip);
        assert.ok(got.body.endsWith('\n'));
        return;
      }
      if (body.startsWith('{"listenCount"')) {
        const j = JSON.parse(got.body) as Record<string, unknown>;
        for (const k of Object.keys(JSON.parse(body) as object)) assert.ok(k in j, `stats lack ${k}`);
        assert.match(got.body, /"requestRate":0\.0/);
        return;
      }
      if (v.request.method === 'POST' && expected.status === 200) {
        // The id is ours to pick when the request gave none.
        const req = parseJson(v.request.body.text ?? '');
        const sentId = req.ok && typeof req.value === 'object' && req.value !== null && 'id' in req.value ? String((req.value as { id: unknown }).id) : '0';
        const norm = (s: string) => (sentId === '0' || sentId === 'undefined' ? s.replace(/"id":"\d+"/, '"id":"*"') : s);
        assert.equal(norm(got.body), norm(withoutNul(body)));
        assert.doesNotMatch(got.body, /"id":"0"/);
        if (BEFORE[v.name] !== undefined) {
          // The repeated permanent put is the same put: same id as the first answer.
          const first = await send(box.port, byName.get(BEFORE[v.name]![0]!)!);
          assert.equal(first.body, got.body);
        }
        return;
      }
      // Error bodies, `{}`, empty bodies, value lines: byte for byte (values in any order).
      assert.deepEqual(lines(got.body).sort(), lines(withoutNul(body)).sort());
      assert.equal(got.body.endsWith('\n'), body.endsWith('\n'));
    } finally {
      await box.stop();
    }
  });
}

/** The gateway and UnifiedPush captures: what a 2.4.12 proxy sent after subscriptions on one key. */
test('push captures: our proxy sends the same notifications for the same subscriptions and puts', async () => {
  const pushes: PushRequest[] = [];
  const box = await startBox(
    { host: '::', allowedPushOrigins: ['http://127.0.0.1:8090'], iosBundleId: 'com.example.bundle', pushGateway: 'http://127.0.0.1:8090' },
    {
      pushTransport: async (r) => {
        pushes.push(r);
        return 200;
      },
    },
    { manualClock: true },
  );
  try {
    const subs = all.filter((v) => v.name.startsWith('push_server_subscribe_'));
    assert.equal(subs.length, 4);
    for (const v of subs) assert.equal((await send(box.port, v)).status, 200, v.name);
    const key = 'fbd0ab378c7061897c3248970a7ab6d1024b1d6e';
    const post = async (body: string) => {
      const r = await send(box.port, { ...subs[0]!, request: { ...subs[0]!.request, method: 'POST', target: `/key/${key}`, body: { text: body } } });
      assert.equal(r.status, 200);
    };
    await post('{"data":"aGVsbG8=","type":0}');
    await post(all.find((v) => v.name === 'push_server_post_prio')!.request.body.text!);
    await box.clock!.advanceAsync(11 * 60_000, 1000);
    const deadline = Date.now() + 5000;
    while (pushes.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    const decoded = pushes.map((p) => ({ url: p.url, json: JSON.parse(Buffer.from(p.body).toString('utf8')) as Record<string, unknown> }));
    const captured = all.filter((v) => v.name.startsWith('gateway_') || v.name.startsWith('unifiedpush_'));
    for (const v of captured) {
      const want = JSON.parse(v.request.body.text!) as Record<string, unknown>;
      if (v.name.startsWith('unifiedpush_')) {
        // 2.4.12 dropped the endpoint's port (the capture went to port 80); we keep it.
        const ours = decoded.filter((d) => d.url === 'http://127.0.0.1:8090/up/abc123?x=1' && 'exp' in want === 'exp' in d.json);
        assert.ok(ours.length > 0, v.name);
        for (const k of ['key', 'to', 's']) assert.equal(ours[0]!.json[k], want[k], `${v.name} ${k}`);
        continue;
      }
      const n = (want.notifications as Array<Record<string, unknown>>)[0]!;
      const wd = n.data as Record<string, unknown>;
      const ours = decoded
        .filter((d) => d.url === 'http://127.0.0.1:8090/api/push')
        .map((d) => (d.json.notifications as Array<Record<string, unknown>>)[0]!)
        .filter(
          (o) =>
            o.platform === n.platform &&
            (o.data as Record<string, unknown>).to === wd.to &&
            o.priority === n.priority &&
            'exp' in (o.data as object) === 'exp' in wd,
        );
      assert.ok(ours.length > 0, `${v.name}: no matching push among ${JSON.stringify(decoded).slice(0, 400)}`);
      const o = ours[0]!;
      for (const k of Object.keys(n)) {
        if (k === 'data' || k === 'expiration') continue;
        assert.deepEqual(o[k], n[k], `${v.name} ${k}`);
      }
      for (const k of ['key', 'to', 's']) assert.equal((o.data as Record<string, unknown>)[k], wd[k], `${v.name} data.${k}`);
      assert.equal(typeof o.expiration === 'number' || n.expiration === undefined, true);
    }
  } finally {
    await box.stop();
  }
});

test('every capture file is listed and replayed', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'index.json');
  assert.equal(files.length, index.length);
  assert.equal(all.length, 99);
});

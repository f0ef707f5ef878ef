/**
 * The ntfy subset as the ntfy Android app uses it: publish (text and binary bodies, `?up=1`),
 * one JSON stream over several topics with the `open` line, `since=` replay, keepalives, `poll=1`,
 * UnifiedPush discovery, cache expiry, and the bounds.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { createPushService, type PushService } from '@lanbox/push';

let now = 1_800_000_000_000;
let svc: PushService;
let port: number;

before(async () => {
  svc = createPushService(
    { port: 0, host: '127.0.0.1', tickIntervalMs: 0, maxTopics: 5, maxMessagesPerTopic: 3, maxSubscribersPerAddress: 4, keepaliveMs: 30_000 },
    { clock: { now: () => now } },
  );
  await svc.start();
  port = svc.port()!;
});
after(() => svc.stop());

function call(
  method: string,
  path: string,
  body?: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

interface Line {
  id: string;
  event: string;
  topic: string;
  message?: string;
  encoding?: string;
  time: number;
  expires?: number;
}

function stream(path: string) {
  return new Promise<{ lines: Line[]; wait(n: number): Promise<void>; close(): void }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
      const lines: Line[] = [];
      let partial = '';
      res.setEncoding('utf8');
      res.on('error', () => {});
      res.on('data', (d: string) => {
        const parts = (partial + d).split('\n');
        partial = parts.pop() ?? '';
        for (const p of parts) lines.push(JSON.parse(p) as Line);
      });
      resolve({
        lines,
        close: () => req.destroy(),
        async wait(n) {
          const deadline = Date.now() + 10_000;
          while (lines.length < n) {
            if (Date.now() > deadline) throw new Error(`only ${lines.length} lines`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('publish and subscribe over two topics: open line, live messages, UTF-8 kept as text, binary as base64', async () => {
  const s = await stream('/upAAAAAAAAAAAA,upBBBBBBBBBBBB/json');
  await s.wait(1);
  assert.equal(s.lines[0]!.event, 'open');
  assert.equal(s.lines[0]!.topic, 'upAAAAAAAAAAAA,upBBBBBBBBBBBB');
  const text = await call('POST', '/upAAAAAAAAAAAA?up=1', '{"key":"abc"} ');
  assert.equal(text.status, 200);
  const published = JSON.parse(text.body) as Line;
  assert.equal(published.message, '{"key":"abc"} ', 'bodies are not trimmed');
  assert.match(published.id, /^[A-Za-z0-9]{12}$/);
  const binary = new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x80]);
  const bin = await call('PUT', '/upBBBBBBBBBBBB', binary, { 'Content-Encoding': 'aes128gcm' });
  assert.equal(bin.status, 200);
  await s.wait(3);
  assert.deepEqual(
    s.lines.slice(1).map((l) => [l.event, l.topic, l.message, l.encoding]),
    [
      ['message', 'upAAAAAAAAAAAA', '{"key":"abc"} ', undefined],
      ['message', 'upBBBBBBBBBBBB', Buffer.from(binary).toString('base64'), 'base64'],
    ],
  );
  assert.equal(s.lines[1]!.expires! - s.lines[1]!.time, 12 * 3600);
  s.close();
});

test('since=<id> replays what came after that message; poll=1 returns the cache and ends', async () => {
  const a = JSON.parse((await call('POST', '/upCCCCCCCCCCCC', 'one')).body) as Line;
  now += 1000;
  await call('POST', '/upCCCCCCCCCCCC', 'two');
  now += 1000;
  await call('POST', '/upCCCCCCCCCCCC', 'three');
  const s = await stream(`/upCCCCCCCCCCCC/json?since=${a.id}`);
  await s.wait(3);
  assert.deepEqual(
    s.lines.map((l) => l.message ?? l.event),
    ['open', 'two', 'three'],
  );
  s.close();
  const poll = await call('GET', '/upCCCCCCCCCCCC/json?poll=1');
  assert.deepEqual(
    poll.body
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as Line).message),
    ['one', 'two', 'three'],
  );
  const since = await call('GET', `/upCCCCCCCCCCCC/json?poll=1&since=${Math.floor(now / 1000)}`);
  assert.deepEqual(
    since.body
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as Line).message),
    ['three'],
  );
  // since=none replays nothing: the line after `open` is a message published after the stream
  // opened (a replay is written before any live message), with no wait for lines that never come.
  const none = await stream('/upCCCCCCCCCCCC/json?since=none');
  await none.wait(1);
  await call('POST', '/upCCCCCCCCCCCC', 'four');
  await none.wait(2);
  assert.deepEqual(
    none.lines.map((l) => l.message ?? l.event),
    ['open', 'four'],
  );
  none.close();
});

test("a quiet stream gets keepalive lines well inside the app's 77 s read timeout", async () => {
  const s = await stream('/upDDDDDDDDDDDD/json');
  await s.wait(1);
  now += 31_000;
  svc.tick();
  await s.wait(2);
  assert.equal(s.lines[1]!.event, 'keepalive');
  assert.equal(s.lines[1]!.topic, 'upDDDDDDDDDDDD');
  s.close();
});

test('messages expire from the cache after 12 hours; per-topic count is bounded', async () => {
  for (const m of ['1', '2', '3', '4']) await call('POST', '/upEEEEEEEEEEEE', m);
  const kept = await call('GET', '/upEEEEEEEEEEEE/json?poll=1');
  assert.deepEqual(
    kept.body
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as Line).message),
    ['2', '3', '4'],
  );
  now += 12 * 3600_000 + 1000;
  svc.tick();
  assert.equal((await call('GET', '/upEEEEEEEEEEEE/json?poll=1')).body, '');
});

test('bounds: message size, topic count, streams per address, bad paths; discovery and health', async () => {
  assert.equal((await call('POST', '/upFFFFFFFFFFFF', 'x'.repeat(4097))).status, 413);
  for (const t of ['upG1', 'upG2', 'upG3', 'upG4', 'upG5']) await call('POST', `/${t}`, 'x');
  assert.equal((await call('POST', '/upG6', 'x')).status, 507);
  assert.ok(svc.status().refused.topics >= 1);
  const open = [];
  for (let i = 0; i < 4; i++) open.push(await stream(`/upH${i}/json`));
  assert.equal((await call('GET', '/upH9/json')).status, 429);
  for (const s of open) s.close();
  assert.equal((await call('GET', '/a.b/json')).status, 404);
  assert.equal((await call('GET', `/${'a'.repeat(65)}/json`)).status, 404);
  assert.deepEqual(JSON.parse((await call('GET', '/upAAAAAAAAAAAA?up=1')).body), { unifiedpush: { version: 1 } });
  assert.deepEqual(JSON.parse((await call('GET', '/v1/health')).body), { healthy: true });
  assert.ok(svc.status().refused.subscribers >= 1);
});

test('garbage request lines get 400 and a closed connection, never a crash', async () => {
  for (const bytes of ['LISTEN / HTTP/1.1\r\n\r\n', '\x00\x01\x02\r\n\r\n', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n\r\n`]) {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.write(bytes);
    await new Promise<void>((r) => {
      // The cap is cleared on close, or it would hold the test process open for 5 s.
      const cap = setTimeout(() => {
        socket.destroy();
        r();
      }, 5000);
      socket.once('close', () => {
        clearTimeout(cap);
        r();
      });
    });
    assert.match(text, /^HTTP\/1\.1 4\d\d/);
  }
  assert.equal((await call('GET', '/v1/health')).status, 200);
});

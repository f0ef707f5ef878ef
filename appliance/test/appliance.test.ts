/**
 * The appliance as a real process (sources through tsx), on loopback with free ports and a temp
 * data dir: status document, web hardening, name server mounted, clean SIGTERM, identity kept
 * across restarts, storage lock, systemd messages against a fake notify socket.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { exitOf, getJson, loopbackArgs, spawnAppliance, startAppliance, tempDir, waitFor, type RunningAppliance } from './helpers.js';
import { startFakeNotifySocket } from './fake-notify-socket.js';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function dataDir(): Promise<string> {
  const d = await tempDir();
  cleanups.push(d.remove);
  return d.path;
}

async function start(opts: Parameters<typeof startAppliance>[0]): Promise<RunningAppliance> {
  const app = await startAppliance(opts);
  cleanups.push(app.kill);
  return app;
}

const STATES = ['ok', 'degraded', 'down', 'disabled'];

test('GET /api/status: one object per service with the numbers the contract names', async () => {
  const app = await start({ dataDir: await dataDir() });
  const { status, body, headers } = await getJson(`${app.base}/api/status`);
  assert.equal(status, 200);
  assert.match(headers.get('content-type') ?? '', /^application\/json/);
  for (const name of ['dht', 'discovery', 'nameserver', 'push', 'proxy', 'turn', 'replication', 'dns']) {
    const s = body[name] as Record<string, unknown>;
    assert.ok(STATES.includes(s.state as string), `${name}.state = ${String(s.state)}`);
    assert.equal(typeof s.summary, 'string');
  }
  const dht = body.dht as Record<string, any>;
  assert.equal(dht.state, 'ok');
  assert.match(dht.nodeId, /^[0-9a-f]{40}$/);
  assert.deepEqual(dht.ports, { udp4: app.dhtPort, udp6: null }, '--bind 127.0.0.1 leaves IPv6 off');
  for (const fam of ['ipv4', 'ipv6']) {
    assert.equal(typeof dht.nodes[fam].good, 'number');
    assert.equal(typeof dht.nodes[fam].dubious, 'number');
  }
  for (const field of ['keys', 'values', 'bytes', 'listeners', 'evicted', 'expired']) {
    assert.equal(typeof dht.storage[field], 'number', `dht.storage.${field}`);
  }
  assert.deepEqual(dht.storage.rejected, {}, 'refused puts are listed by reason');
  assert.equal(typeof dht.listeners, 'number');
  assert.equal(typeof dht.dropped.total, 'number');
  assert.equal(typeof dht.limited, 'number');

  const ns = body.nameserver as Record<string, any>;
  assert.equal(ns.state, 'ok');
  assert.equal(ns.names, 0);
  assert.deepEqual((body.discovery as Record<string, unknown>).state, 'disabled');
  const replication = body.replication as Record<string, any>;
  assert.equal(replication.state, 'ok');
  assert.equal(replication.box, dht.nodeId, 'the box id is the DHT node id');
  assert.deepEqual(replication.peers, []);
  // The proxy is "ok" only because its probe went through its HTTP port to the DHT and back.
  const proxy = body.proxy as Record<string, any>;
  assert.equal(proxy.state, 'ok', proxy.summary);
  assert.equal(proxy.probe.error, null);
  for (const field of ['clients', 'listens', 'connections', 'permanentPuts']) assert.equal(typeof proxy[field], 'number', `proxy.${field}`);
  for (const field of ['sent', 'failed', 'refused']) assert.equal(typeof proxy.pushes[field], 'number', `proxy.pushes.${field}`);
  assert.equal(typeof proxy.subscriptions.total, 'number');
  const push = body.push as Record<string, any>;
  assert.equal(push.state, 'ok');
  assert.equal(push.url, `http://127.0.0.1:${push.port}`, 'the ntfy URL as this client reached the box');
  // A phone's request through the proxy port reaches our DHT node.
  const info = await getJson(`http://127.0.0.1:${proxy.port}/node/info`);
  assert.equal(info.body.node_id, (body.dht as Record<string, unknown>).nodeId);
  // No open relay: a subscription for someone else's push server is refused and counted.
  const refused = await fetch(`http://127.0.0.1:${proxy.port}/key/${'ab'.repeat(20)}`, {
    method: 'POST',
    body: JSON.stringify({ data: 'eA==', type: 0, permanent: { key: 'http://192.0.2.1:8080/upX?up=1', platform: 'unifiedpush', client_id: 'c' } }),
  });
  assert.equal(refused.status, 403);
  const after = await getJson(`${app.base}/api/status`);
  assert.equal((after.body.proxy as Record<string, any>).pushes.refused, 1);
  const turn = body.turn as Record<string, any>;
  assert.ok(['degraded', 'down'].includes(turn.state), 'nothing listens on the TURN port given');
  assert.equal(turn.servers.length, 1);
  assert.ok(!JSON.stringify(turn).includes('ring:ring'), 'no TURN password in the status');

  const a = body.appliance as Record<string, any>;
  assert.equal(a.ready, true);
  assert.equal(a.web.port, app.webPort);
  assert.ok(a.rssBytes > 1e6 && a.uptimeSeconds >= 0);
  const clients = body.clients as Record<string, any>;
  assert.deepEqual(clients.bootstrap, [`127.0.0.1:${app.dhtPort}`]);
  assert.deepEqual(clients.nameServer, [`http://127.0.0.1:${app.webPort}`]);
  assert.equal(clients.turn.realm, 'ring');
  assert.deepEqual(clients.proxy, [`127.0.0.1:${proxy.port}`]);
  assert.deepEqual(clients.ntfy, [`http://127.0.0.1:${push.port}`]);

  assert.equal(await app.stop(), 0, app.stderr());
  assert.ok(app.logs.some((l) => l.msg === 'stopped cleanly'));
  const order = app.logs.filter((l) => l.msg === 'service stopped').map((l) => l.service);
  assert.deepEqual(order, ['dns', 'turn', 'proxy', 'push', 'replication', 'nameserver', 'discovery', 'dht'], 'stopped in reverse start order');
  assert.deepEqual(
    [(body.dns as Record<string, unknown>).state, (body.dns as Record<string, unknown>).mode],
    ['disabled', 'off'],
    'Jami DNS mode is off by default',
  );
});

test('web port: security headers, CSP on the page, name server mounted, bounded bodies, JSON 404', async () => {
  const app = await start({ dataDir: await dataDir() });
  const page = await fetch(`${app.base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'.*script-src 'sha256-/);
  for (const h of ['x-content-type-options', 'x-frame-options', 'referrer-policy']) assert.ok(page.headers.get(h), h);
  const html = await page.text();
  assert.ok(!/<(script|link|img)[^>]+(src|href)=["']?https?:/i.test(html), 'no external assets');

  const name = await getJson(`${app.base}/name/nobody-here`);
  assert.equal(name.status, 404);
  assert.deepEqual(name.body, { error: 'name not registered' });
  assert.equal(name.headers.get('x-frame-options'), 'DENY');
  const addr = await getJson(`${app.base}/addr/${'ab'.repeat(20)}`);
  assert.equal(addr.status, 404);

  const big = await fetch(`${app.base}/name/alice`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(200_000) });
  assert.equal(big.status, 413);
  const missing = await getJson(`${app.base}/nothing/here`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: 'not found' });
  const admin = await fetch(`${app.base}/api/names/export`);
  assert.equal(admin.status, 404, 'operator routes are off without an admin token');
  const status = await getJson(`${app.base}/api/status`);
  const web = (status.body.appliance as Record<string, any>).web;
  assert.ok(web.tooLarge >= 1 && web.notFound >= 1);
  assert.equal(await app.stop(), 0);
});

test('a restart on the same data dir keeps the DHT node id and the name registry', async () => {
  const dir = await dataDir();
  const first = await start({ dataDir: dir });
  const id1 = ((await getJson(`${first.base}/api/status`)).body.dht as Record<string, unknown>).nodeId;
  assert.equal(await first.stop(), 0);
  const second = await start({ dataDir: dir });
  const id2 = ((await getJson(`${second.base}/api/status`)).body.dht as Record<string, unknown>).nodeId;
  assert.match(String(id1), /^[0-9a-f]{40}$/);
  assert.equal(id2, id1);
  assert.equal(await second.stop(), 0);
  const third = await start({ dataDir: await dataDir() });
  const id3 = ((await getJson(`${third.base}/api/status`)).body.dht as Record<string, unknown>).nodeId;
  assert.notEqual(id3, id1, 'a fresh data dir gets a fresh identity');
  assert.equal(await third.stop(), 0);
});

test('a second appliance on the same data dir exits 1 and the first keeps serving', async () => {
  const dir = await dataDir();
  const first = await start({ dataDir: dir });
  const { args } = await loopbackArgs(dir);
  const second = spawnAppliance(args);
  cleanups.push(() => {
    if (second.exitCode === null) second.kill('SIGKILL');
  });
  let out = '';
  second.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  assert.equal(await exitOf(second), 1);
  assert.match(out, /in use by another process/);
  assert.equal((await getJson(`${first.base}/api/status`)).status, 200);
  assert.equal(await first.stop(), 0);
});

test('a web port already in use is an unexpected failure: exit 1', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => blocker.close(r)));
  const port = (blocker.address() as { port: number }).port;
  const dir = await dataDir();
  const { args } = await loopbackArgs(dir);
  const proc = spawnAppliance([...args, '--web-port', String(port)]);
  cleanups.push(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  assert.equal(await exitOf(proc), 1);
  assert.match(out, /EADDRINUSE/);
  assert.match(out, /storage flushed and closed/, 'what had started is stopped again');
});

test('under systemd: READY=1 with a status line once listening, WATCHDOG=1, STOPPING=1 on SIGTERM', async () => {
  const dir = await dataDir();
  const sock = await startFakeNotifySocket(dir);
  cleanups.push(sock.close);
  const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '1000000' };
  delete env.WATCHDOG_PID;
  const app = await start({ dataDir: dir, env });
  const ready = await waitFor('READY=1', () => sock.messages.find((m) => m.startsWith('READY=1')));
  assert.match(ready, new RegExp(`^READY=1\\nSTATUS=serving DHT on UDP ${app.dhtPort}, web on :${app.webPort}; 0 good nodes$`));
  // READY is sent after the web server listens: by now it answers.
  assert.equal((await getJson(`${app.base}/api/status`)).status, 200);
  await waitFor('a watchdog ping', () => (sock.messages.includes('WATCHDOG=1') ? true : undefined), 5000);
  assert.equal(await app.stop(), 0);
  await waitFor('STOPPING=1', () => sock.messages.find((m) => m.startsWith('STOPPING=1')));
  assert.ok(sock.messages.includes('STOPPING=1\nSTATUS=stopping'));
  assert.equal(sock.messages.indexOf(ready), 0, 'READY is the first message');
});

test('operator routes with --admin-token: registry export needs the token', async () => {
  const token = 'test-token-0123456789';
  const app = await start({ dataDir: await dataDir(), args: ['--admin-token', token] });
  assert.equal((await fetch(`${app.base}/api/names/export`)).status, 401);
  assert.equal((await fetch(`${app.base}/api/names/export`, { headers: { authorization: 'Bearer wrong-token-000000' } })).status, 401);
  const ok = await fetch(`${app.base}/api/names/export`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.status, 200);
  const exported = (await ok.json()) as Record<string, unknown>;
  const imported = await fetch(`${app.base}/api/names/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(exported),
  });
  assert.equal(imported.status, 200, await imported.clone().text());
  const del = await fetch(`${app.base}/name/nobody-here`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  assert.equal(del.status, 404, 'the name server removes names with the same token (none registered here)');
  assert.equal(await app.stop(), 0);
});

test('--bind ::1: IPv6 only; the DHT, the web port and the values to type all use [::1]', async () => {
  const dir = await dataDir();
  const { args, webPort, dhtPort } = await loopbackArgs(dir);
  const app = await start({ dataDir: dir, baseArgs: { args: [...args, '--bind', '::1'], webPort, dhtPort } });
  const { body } = await getJson(`http://[::1]:${webPort}/api/status`);
  assert.deepEqual((body.dht as Record<string, unknown>).ports, { udp4: null, udp6: dhtPort });
  assert.deepEqual((body.clients as Record<string, unknown>).bootstrap, [`[::1]:${dhtPort}`]);
  const html = await (await fetch(`http://[::1]:${webPort}/`)).text();
  assert.ok(html.includes(`[::1]:${dhtPort}`), 'the page shows the bracketed IPv6 bootstrap');
  await assert.rejects(fetch(`http://127.0.0.1:${webPort}/api/status`), 'nothing listens on IPv4');
  assert.equal(await app.stop(), 0);
});

/** The DHT proxy's extra listeners for Jami's fallback ports (free ports on loopback stand in for 80–95). */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { test } from 'node:test';
import { createProxyPorts, isProxyHost, JAMI_PROXY_PORTS } from '../src/web/proxy-ports.js';
import { freeTcpPort } from './helpers.js';

const quiet = { warn: () => undefined, info: () => undefined };

test('the Jami fallback range is 80–95 and the Host header is matched on the name only', () => {
  assert.deepEqual([JAMI_PROXY_PORTS[0], JAMI_PROXY_PORTS.at(-1), JAMI_PROXY_PORTS.length], [80, 95, 16]);
  for (const h of ['dhtproxy.jami.net', 'DHTProxy.Jami.Net:87', 'dhtproxy.jami.net.:80']) assert.equal(isProxyHost(h), true, h);
  for (const h of [undefined, '', '10.0.0.5', 'dhtproxy.jami.net.evil', 'xdhtproxy.jami.net', '10.0.0.5:80']) assert.equal(isProxyHost(h), false, String(h));
});

test('every port hands its connections to the proxy server; a port that cannot be opened is reported, not fatal', async () => {
  const seen: string[] = [];
  const proxy = createServer((req, res) => {
    seen.push(`${req.socket.localPort} ${req.url}`);
    res.end('proxied');
  });
  // Listening on its own port as in the appliance (Node tracks a server's connections, so that
  // closeAllConnections closes them, only once it listens).
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const [p1, p2, web] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
  // Someone else holds this one.
  const squatter = createTcpServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  const taken = (squatter.address() as { port: number }).port;
  const ports = createProxyPorts({ ports: [p1, p2, web, taken], bind: '127.0.0.1', webPort: web }, { proxy, logger: quiet });
  await ports.start();
  try {
    for (const p of [p1, p2]) {
      const r = await fetch(`http://127.0.0.1:${p}/node/info`);
      assert.equal(await r.text(), 'proxied');
    }
    assert.deepEqual(seen, [`${p1} /node/info`, `${p2} /node/info`]);
    const st = ports.status();
    assert.deepEqual(st.listening.sort(), [p1, p2].sort());
    assert.equal(st.sharedWithWeb, web);
    assert.deepEqual(Object.keys(st.failed), [String(taken)]);
    assert.equal(st.failed[taken], 'EADDRINUSE');
    assert.equal(st.connections, 2);
    // The ports stop first, as in the appliance, while fetch still holds both connections: they
    // are the proxy server's to close, so the stop must not wait for them (it once did, holding
    // the appliance's shutdown until every phone's listen stream ended).
    const stop = await Promise.race([ports.stop().then(() => 'done'), new Promise((r) => setImmediate(() => r('waiting')))]);
    assert.equal(stop, 'done');
  } finally {
    await ports.stop();
    proxy.closeAllConnections();
    proxy.close();
    squatter.close();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${p1}/`), 'closed after stop');
});

/**
 * The box side of the benchmark in its own process (so its RSS is measured alone): our DHT node,
 * the proxy and the push service on loopback, bounds raised to the benchmark's counts. Prints one
 * JSON line with the ports, then runs until stdin closes.
 */
import { createDhtNode } from '@lanbox/dht';
import { createDhtProxy } from '@lanbox/proxy';
import { createPushService } from '@lanbox/push';

const bootstrap = process.argv[2];
const dht = createDhtNode({ port: 0, bind4: '127.0.0.1', bind6: null, rateLimit: null, ...(bootstrap ? { bootstrap: [bootstrap] } : {}) });
await dht.start();
const push = createPushService({ port: 0, host: '127.0.0.1', maxSubscribersPerAddress: 1000, maxConnectionsPerAddress: 2000 });
await push.start();
const own = `http://127.0.0.1:${push.port()}`;
const proxy = createDhtProxy(
  {
    port: 0,
    host: '127.0.0.1',
    maxConnections: 30_000,
    maxConnectionsPerAddress: 30_000,
    maxListens: 30_000,
    maxListensPerAddress: 30_000,
    maxSubscriptions: 30_000,
    maxSubscriptionsPerAddress: 30_000,
  },
  { dht, allowPushTarget: (url) => url.origin === own },
);
await proxy.start();
process.stdout.write(`${JSON.stringify({ proxy: proxy.port(), push: push.port(), dht: dht.port(4) })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await proxy.stop();
  await push.stop();
  await dht.stop();
  process.exit(0);
});

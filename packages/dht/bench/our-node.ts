/**
 * Our DHT node as a stand-alone process for the benchmarks (measured from outside through
 * /proc). Usage: `our-node --port N [--no-rate-limit]`. Prints one JSON line
 * `{"ready":true,"port":N,"id":"<hex>"}` once bound; exits when stdin closes or on SIGTERM.
 */
import { createDhtNode } from '../src/index.js';
import { option } from './cli-option.js';

const port = Number(option('--port') ?? '0');
const node = createDhtNode({
  port,
  bind4: '127.0.0.1',
  bind6: '::1',
  ...(process.argv.includes('--no-rate-limit') ? { rateLimit: null } : {}),
});
await node.start();
process.stdout.write(JSON.stringify({ ready: true, port: node.port(4), id: Buffer.from(node.id).toString('hex') }) + '\n');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await node.stop();
  process.exit(0);
}
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());

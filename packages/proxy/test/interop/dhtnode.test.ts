/**
 * Real OpenDHT 2.4.12 on both sides of the proxy: a `dhtnode --proxyclient` (what Jami on a phone
 * is, minus the app) uses only our proxy, a plain `dhtnode` joins our DHT node directly; each
 * sees what the other puts, through gets and listens, including signed values.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBox, type Box } from '../helpers.js';
import { startDhtnode, type Dhtnode } from './dhtnode-cli.js';

let box: Box;
let direct: Dhtnode;
let client: Dhtnode;

before(async () => {
  box = await startBox();
  direct = startDhtnode(['-p', '0', '-b', `127.0.0.1:${box.dht.port(4)}`]);
  await direct.waitFor(/running on port/, 10_000);
  // The direct node knows our node once our node knows it back.
  const deadline = Date.now() + 20_000;
  while (box.dht.status().nodes[4].good === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(box.dht.status().nodes[4].good > 0, 'dhtnode joined our node');
  client = startDhtnode(['-i', '-p', '0', '--proxyclient', `http://127.0.0.1:${box.port}`]);
  await client.waitFor(/running on port/, 10_000);
});

after(async () => {
  await client?.stop();
  await direct?.stop();
  await box?.stop();
});

test('a put through the proxy is read by a dhtnode on the DHT', async () => {
  const key = '1111222233334444555566667777888899990000';
  const from = client.lines.length;
  client.send(`p ${key} fromproxy`);
  await client.waitFor(/Put: success/, 15_000, from);
  const at = direct.lines.length;
  direct.send(`g ${key}`);
  await direct.waitFor(/data\(text\/plain\):"fromproxy"/, 15_000, at);
});

test('a put by a dhtnode on the DHT is read through the proxy', async () => {
  const key = '2222333344445555666677778888999900001111';
  const at = direct.lines.length;
  direct.send(`p ${key} fromdht`);
  await direct.waitFor(/Put: success/, 15_000, at);
  const from = client.lines.length;
  client.send(`g ${key}`);
  await client.waitFor(/data\(text\/plain\):"fromdht"/, 15_000, from);
});

test('a listen through the proxy sees a later put on the DHT, and the DHT side sees a later put through the proxy', async () => {
  const key = '3333444455556666777788889999000011112222';
  const from = client.lines.length;
  client.send(`l ${key}`);
  await client.waitFor(/Listening, token/, 10_000, from);
  const at = direct.lines.length;
  direct.send(`l ${key}`);
  await direct.waitFor(/Listening, token/, 10_000, at);
  direct.send(`p ${key} livefromdht`);
  await client.waitFor(/data\(text\/plain\):"livefromdht"/, 20_000, from);
  client.send(`p ${key} livefromproxy`);
  await direct.waitFor(/data\(text\/plain\):"livefromproxy"/, 20_000, at);
});

test('a signed put through the proxy keeps its signature: the DHT side reads it signed', async () => {
  const key = '4444555566667777888899990000111122223333';
  const from = client.lines.length;
  client.send(`s ${key} signedbyclient`);
  await client.waitFor(/Put signed: success|Put: success/, 20_000, from);
  const at = direct.lines.length;
  direct.send(`g ${key}`);
  // dhtnode prints `signed (v<seq>)` only for a value whose signature it checked.
  await direct.waitFor(/signed \(v0\) data\(text\/plain\):"signedbyclient"/, 15_000, at);
  // And back through the proxy: the client verifies the signature of what it reads.
  const again = client.lines.length;
  client.send(`g ${key}`);
  await client.waitFor(/signed \(v0\) data\(text\/plain\):"signedbyclient"/, 15_000, again);
});

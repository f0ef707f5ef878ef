import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBox, http, openStream, type Box } from './helpers.js';

let box: Box;
before(async () => {
  box = await startBox();
});
after(() => box.stop());

test('node info, put, get, listen', async () => {
  const info = await http(box.port, 'GET', '/');
  assert.equal(info.status, 200);
  const j = JSON.parse(info.body);
  assert.equal(j.ipv4.good, 1);
  const key = '4ddbcd592e9fb903db3f13c1ccf704133580431d';
  const listen = await openStream(box.port, 'GET', `/key/${key}/listen`);
  const put = await http(box.port, 'POST', `/key/${key}`, '{"data":"aGVsbG8gd29ybGQ=","id":18446744073709551615,"type":0,"utype":"text/plain"}');
  assert.equal(put.status, 200, put.body);
  assert.equal(put.body, '{"data":"aGVsbG8gd29ybGQ=","id":"18446744073709551615","type":0,"utype":"text/plain"}\n');
  const get = await http(box.port, 'GET', `/key/${key}`);
  assert.equal(get.body, put.body);
  const lines = await listen.waitLines(1);
  assert.equal(`${lines[0]}\n`, put.body);
  listen.close();
});

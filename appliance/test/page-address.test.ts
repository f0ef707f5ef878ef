/** The address the QR code carries, from the request's Host header and the box's LAN addresses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pageAddress, qrSvg } from '../src/web/page/sections/qr.js';

test('the Host header as asked, or the LAN address instead of a loopback name', () => {
  assert.equal(pageAddress('10.0.0.1:8080', ['10.0.0.1']), 'http://10.0.0.1:8080/');
  assert.equal(pageAddress('lanbox.local', ['10.0.0.1']), 'http://lanbox.local/');
  assert.equal(pageAddress('LANBOX.local:80', []), 'http://lanbox.local:80/');
  assert.equal(pageAddress('[fe80::1]:8080', ['fe80::1']), 'http://[fe80::1]:8080/');
  // A phone cannot open "localhost": the QR code points at the box's LAN address, same port.
  assert.equal(pageAddress('localhost:8080', ['127.0.0.1', '192.168.1.20']), 'http://192.168.1.20:8080/');
  assert.equal(pageAddress('127.0.0.1', ['fd00::5']), 'http://[fd00::5]/');
  assert.equal(pageAddress('127.0.0.1:9000', ['127.0.0.1']), 'http://127.0.0.1:9000/', 'no LAN address: keep what was asked');
  for (const bad of [undefined, '', 'a b', 'x:99999', 'x:0', 'host/path', 'user@host', '"><script>', 'x'.repeat(300)]) {
    assert.equal(pageAddress(bad, ['10.0.0.1']), null, String(bad));
  }
});

test('fuzz: any Host header gives null or an http URL that the QR code can carry', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (host) => {
      const url = pageAddress(host, ['10.0.0.1']);
      if (url === null) return;
      assert.match(url, /^http:\/\/[A-Za-z0-9.\-[\]:]+\/$/);
      assert.match(qrSvg(url), /^<svg class="qr" [^>]*><rect [^>]*\/><path fill="#000" d="[Mhvz0-9 -]+"\/><\/svg>$/);
    }),
    { numRuns: 500, seed: 9 },
  );
});

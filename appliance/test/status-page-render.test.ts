/** The status page's server-side HTML, without a browser: self-contained, and phone steps per proxy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatusPage, STATUS_PAGE_SCRIPT, type PageModel } from '../src/web/status-page.js';
import { SECTIONS } from '../src/web/page/sections/index.js';

const model = (proxy: PageModel['proxy']): PageModel => ({
  hostname: 'lanbox',
  version: '1.0.0',
  addresses: ['10.0.0.5'],
  dhtPort: 4222,
  nodeId: 'ab'.repeat(20),
  nameServerUrls: ['http://10.0.0.5'],
  turn: { addresses: ['10.0.0.5:3478'], username: 'ring', password: 'ring', realm: 'ring' },
  proxy,
  ntfyUrls: 'addresses' in proxy ? ['http://10.0.0.5:8082'] : null,
  discovery: true,
  pageUrl: 'http://10.0.0.5/',
  initialStatus: { dht: { state: 'ok', summary: '</script><b>x' } },
});

/** The visible text the server renders (before any script runs), tags turned into spaces. */
const text = (html: string) =>
  html
    .slice(html.indexOf('<body>'), html.indexOf('<script'))
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ ([.,:;)])/g, '$1');

test('one self-contained document: nothing loaded from elsewhere, status embedded safely', () => {
  const html = renderStatusPage(model({ unavailable: 'No proxy.' }));
  assert.doesNotMatch(html, /\s(src|href)="(https?:)?\/\//i, 'no external scripts, styles, images or fonts');
  assert.doesNotMatch(html, /@import|url\(|@font-face/i);
  assert.equal(html.match(/<script>/g)?.length, 1, 'one inline script');
  assert.ok(html.includes(STATUS_PAGE_SCRIPT));
  assert.ok(!html.includes('</script><b>x'), 'status text cannot close the script element');
  for (const s of SECTIONS) assert.match(html, new RegExp(`<section id="${s.id}">`));
  assert.equal(new Set(SECTIONS.map((s) => s.id)).size, SECTIONS.length, 'section ids are unique');
  // No inline handlers or style attributes: the CSP allows only the hashed script and stylesheet.
  assert.doesNotMatch(html, /\son[a-z]+="|\sstyle="/i);
  assert.doesNotMatch(STATUS_PAGE_SCRIPT, /innerHTML\s*=|insertAdjacentHTML|document\.write|eval\(/, 'text goes in through textContent only');
});

test('with the box proxy, phones keep the proxy on, point it at the box, and turn the list off', () => {
  const t = text(renderStatusPage(model({ addresses: ['10.0.0.5:8080'] })));
  assert.match(t, /DHT proxy address 10\.0\.0\.5:8080 Copy/);
  assert.match(t, /Push server \(ntfy\) http:\/\/10\.0\.0\.5:8082 Copy/);
  assert.match(t, /keep Use DHT proxy on, set DHT proxy address to the DHT proxy address above, and switch Use DHT proxy list off/);
  assert.match(t, /install ntfy from F-Droid.*Default server to the push server URL above/);
  assert.match(t, /Connectivity mode › UnifiedPush/);
  assert.match(t, /keep Enable notifications on \(on iOS this switch is the DHT proxy\), switch Use proxy list off, and set Proxy address/);
  assert.match(t, /calls and messages reach an iPhone only while Jami is open/);
  assert.match(t, /switch off Enable proxy \(a computer runs its own DHT node\)/);
  assert.doesNotMatch(t, /switch off Enable notifications/);
});

test('without a proxy, phones switch it off and run their own node', () => {
  const t = text(renderStatusPage(model({ unavailable: 'This box offers no DHT proxy.' })));
  assert.match(t, /DHT proxy Off This box offers no DHT proxy\./);
  assert.match(t, /Connectivity mode › Local DHT node/);
  assert.match(t, /check Use DHT proxy is off/);
  assert.match(t, /switch off Enable notifications/);
  assert.doesNotMatch(t, /ntfy/);
});

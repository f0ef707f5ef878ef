/**
 * The status page: one self-contained HTML document (inline CSS and JS, no external assets: the
 * LAN is offline) that tells people what to type into their Jami clients and shows what the box
 * sees. It updates itself by polling /api/status every 5 s, without reloading.
 *
 * HOW TO ADD A SECTION (e.g. for data your service adds to /api/status):
 * 1. Put your numbers in /api/status (your service's `status()` object, or a top-level member).
 * 2. Write `page/sections/<name>.ts` exporting a `PageSection` (page/section.ts documents it):
 *    an `id`, a `title`, and a `live` function source `function(st, el, h){…}` that reads the
 *    polled JSON `st` and builds nodes in `el` with the helpers `h` (h.add, h.row, h.badge,
 *    h.ago, h.bytes…, defined in page/client.ts). Text only through textContent: never innerHTML.
 *    Return false to hide the section when your data is absent. Server-side HTML that needs the
 *    configuration goes in `html(model)`, escaped with `esc()`.
 * 3. Add one line to the list in page/sections/index.ts.
 * A service's card in "Services on the box" needs nothing: every top-level member of /api/status
 * with a string `state` and `summary` gets one. Numbers also appear on /metrics by themselves.
 * The CSP allows exactly this script and stylesheet by hash (server.ts), so no inline handlers,
 * no style="" attributes: put CSS in the section's `style`.
 */
import { pageScript } from './page/client.js';
import { esc, type PageSection } from './page/section.js';
import { SECTIONS } from './page/sections/index.js';
import { BASE_STYLE } from './page/style.js';
import type { PageModel } from './page/model.js';

export type { PageModel } from './page/model.js';

export const STATUS_PAGE_STYLE = BASE_STYLE + SECTIONS.map((s) => s.style ?? '').join('\n');
export const STATUS_PAGE_SCRIPT = pageScript(SECTIONS);

function section(s: PageSection, m: PageModel): string {
  return `<section id="${s.id}"><h2>${esc(s.title)}</h2>
${s.lead !== undefined ? `<p class="lead">${s.lead}</p>` : ''}
${s.html?.(m) ?? ''}
${s.live !== undefined ? '<div class="live"></div>' : ''}</section>`;
}

export function renderStatusPage(m: PageModel): string {
  const initial = JSON.stringify(m.initialStatus).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>lanbox — Jami on this network</title>
<style>${STATUS_PAGE_STYLE}</style>
</head><body>
<header><h1>lanbox: Jami without the Internet</h1>
<p>${esc(m.hostname)} · ${m.addresses.map(esc).join(' · ') || 'no network address'}</p></header>
<main>
<noscript><p>Turn on JavaScript to see live health, or read <a href="/api/status">/api/status</a>.</p></noscript>
${SECTIONS.map((s) => section(s, m)).join('\n')}
<footer>DHT node id <code data-node-id>${esc(m.nodeId ?? 'not started')}</code> · lanbox ${esc(m.version)} ·
<a href="/api/status">/api/status</a> · <a href="/metrics">/metrics</a></footer>
</main>
<script type="application/json" id="initial-status">${initial}</script>
<script>${STATUS_PAGE_SCRIPT}</script>
</body></html>
`;
}

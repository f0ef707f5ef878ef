/**
 * A QR code of the page's own address, drawn on the box (the `qrcode` library computes the
 * modules; we draw them as one SVG path), so a phone can open this page from a laptop screen.
 * When the page was opened as localhost, the code points at the box's first LAN address instead:
 * a phone cannot use "localhost".
 */
// The encoder alone: the package's index also loads its PNG, terminal and canvas renderers (pngjs,
// zlib), which this SVG drawing never uses, at start-up.
import { create as createQr } from 'qrcode/lib/core/qrcode.js';
import type { PageModel } from '../model.js';
import { esc, type PageSection } from '../section.js';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;
const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/**
 * The URL to put in the QR code, from the request's Host header and the box's LAN addresses;
 * null when the Host header is missing or not a plain host[:port].
 */
export function pageAddress(hostHeader: string | undefined, addresses: readonly string[]): string | null {
  if (hostHeader === undefined) return null;
  const m = HOST.exec(hostHeader);
  if (m === null) return null;
  const port = m[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  const host = port === undefined ? hostHeader : hostHeader.slice(0, -port.length - 1);
  const lan = addresses.find((a) => !/^(127\.|::1$)/.test(a));
  if (LOOPBACK.test(host) && lan !== undefined) {
    const h = lan.includes(':') ? `[${lan}]` : lan;
    return `http://${h}${port !== undefined ? `:${port}` : ''}/`;
  }
  return `http://${hostHeader.toLowerCase()}/`;
}

/** An SVG of the QR code for `text`: one path, 4-module quiet zone, black on white. */
export function qrSvg(text: string): string {
  const qr = createQr(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (qr.modules.get(y, x)) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    }
  }
  const size = n + 2 * quiet;
  return `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img" aria-label="QR code of ${esc(text)}"><rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${d}"/></svg>`;
}

export const qr: PageSection = {
  id: 'qr',
  title: 'Open this page on a phone',
  html: (m: PageModel) =>
    m.pageUrl === null
      ? '<p class="empty">No address to show: the page was asked for without a usable host name.</p>'
      : `<div class="qr-row">${qrSvg(m.pageUrl)}<p>Scan this with the phone's camera to open this page there, then copy the settings from it.<br><code id="page-url">${esc(m.pageUrl)}</code></p></div>`,
  style: `.qr-row{display:flex;flex-wrap:wrap;align-items:center;gap:16px}
svg.qr{width:180px;height:180px;flex:none;border:1px solid var(--line)}
.qr-row p{margin:0;flex:1 1 160px}`,
};

/**
 * What to type into every Jami account (and into ntfy on Android), with copy buttons. Rendered on
 * the box from the running configuration (bound ports, LAN addresses).
 */
import type { PageModel } from '../model.js';
import { esc, type PageSection } from '../section.js';

function valueCell(id: string, value: string, note = ''): string {
  return `<td><span class="value" id="${id}">${esc(value)}</span><button class="copy" type="button" data-copy="${id}">Copy</button>${note ? `<span class="note">${note}</span>` : ''}</td>`;
}

function rows(m: PageModel): string {
  const out: string[] = [];
  let n = 0;
  const cell = (value: string, note = '') => valueCell(`v${++n}`, value, note);
  if (m.dhtPort !== null && m.addresses.length > 0) {
    const entries = m.addresses.map((a) => (a.includes(':') ? `[${a}]:${m.dhtPort}` : `${a}:${m.dhtPort}`));
    const note =
      entries.length > 1
        ? 'Replace the whole field with this value (entries are separated by ";", Jami tries each). Any single entry on the device\'s network also works.'
        : 'Replace the whole field with this value; do not append to bootstrap.jami.net.';
    out.push(`<tr><th>Bootstrap</th>${cell(entries.join(';'), note)}</tr>`);
  }
  if (m.nameServerUrls !== null) {
    for (const url of m.nameServerUrls) {
      out.push(`<tr><th>Name server</th>${cell(url, 'Type it with <code>http://</code> exactly as shown. Set it before you register a username.')}</tr>`);
    }
  } else {
    out.push(
      '<tr><th>Name server</th><td>Not offered by this box (turned off). Leave the field as it is; use 40-character IDs instead of usernames.</td></tr>',
    );
  }
  out.push(
    `<tr><th>Enable local peer discovery</th><td><span class="value">On</span>${m.discovery ? '<span class="note">The box announces itself on the LAN, so devices find it even without a bootstrap (needs multicast; some Wi-Fi with client isolation blocks it).</span>' : '<span class="note">The box\'s own announcements are off, but turning it on still lets devices find each other.</span>'}</td></tr>`,
  );
  if (m.turn !== null) {
    for (const a of m.turn.addresses) out.push(`<tr><th>TURN address</th>${cell(a)}</tr>`);
    out.push(`<tr><th>TURN username</th>${cell(m.turn.username)}</tr>`);
    out.push(`<tr><th>TURN password</th>${cell(m.turn.password)}</tr>`);
    out.push(`<tr><th>TURN realm</th>${cell(m.turn.realm, 'Desktop and iOS only; Android has no realm field and needs none.')}</tr>`);
  }
  if ('addresses' in m.proxy) {
    for (const a of m.proxy.addresses) {
      out.push(
        `<tr><th>DHT proxy address</th>${cell(a, 'Phones: keep the proxy on and type this. In every app, turn the <b class="ui">proxy list</b> off.')}</tr>`,
      );
    }
    for (const url of m.ntfyUrls ?? []) {
      out.push(
        `<tr><th>Push server (ntfy)</th>${cell(url, 'Android, Jami from F-Droid: in the ntfy app (F-Droid), Settings › <b class="ui">Default server</b>.')}</tr>`,
      );
    }
  } else {
    out.push(
      `<tr><th>DHT proxy</th><td><span class="value">Off</span><span class="note">${esc(m.proxy.unavailable)} Phones must reach the DHT directly: see Android and iOS below.</span></td></tr>`,
    );
  }
  return out.join('\n');
}

export const settings: PageSection = {
  id: 'settings',
  title: 'Type these into every Jami account',
  lead: "Open the account's advanced settings (where: see below) and enter exactly these values.",
  html: (m) =>
    (m.addresses.length === 0
      ? '<div class="warn">This box has no network address yet (no cable or no DHCP). The values below appear once it has one.</div>'
      : '') + `<table class="kv"><tbody>\n${rows(m)}\n</tbody></table>`,
};

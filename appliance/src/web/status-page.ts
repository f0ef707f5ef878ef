/**
 * The status page: one self-contained HTML document (inline CSS and JS, no external assets)
 * that tells people exactly what to type into their Jami clients, where each setting lives on
 * each platform (from shared research of the clients' UI strings), and how each service is doing.
 * The settings are rendered on the server; the script only refreshes the health part by polling
 * /api/status, using textContent so nothing from the network is ever parsed as HTML.
 */

export interface PageModel {
  hostname: string;
  version: string;
  /** Addresses clients can reach, IPv4 first. Empty when the box has no network address. */
  addresses: string[];
  dhtPort: number | null;
  nodeId: string | null;
  /** Name server URLs, one per address; null when the name server is off. */
  nameServerUrls: string[] | null;
  /** TURN values to type, or null when no TURN server is monitored. */
  turn: { addresses: string[]; username: string; password: string; realm: string } | null;
  /** The DHT proxy's address to type (`HOST:PORT`, Jami's "proxy address"), or why there is none. */
  proxy: { addresses: string[] } | { unavailable: string };
  /** The push service's URL to type into ntfy (its "default server"), one per address; null when push is off. */
  ntfyUrls: string[] | null;
  discovery: boolean;
  /** The /api/status document at render time; the script starts from it. */
  initialStatus: object;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export const STATUS_PAGE_STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#5b6475;--line:#e2e5ea;--accent:#0a6cc2;
--ok:#1c7c3a;--okbg:#e3f4e8;--deg:#8a5a00;--degbg:#fdf1d8;--down:#a11b1b;--downbg:#fbe3e3;--off:#5b6475;--offbg:#eceef2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#14213d;color:#fff;padding:18px 24px}
header h1{margin:0;font-size:22px;font-weight:650}
header p{margin:4px 0 0;color:#c9d3e6}
#overall{margin-left:10px}
main{max-width:1040px;margin:0 auto;padding:20px 16px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
h2{font-size:18px;margin:0 0 4px}
.lead{color:var(--muted);margin:0 0 14px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:9px 8px;border-top:1px solid var(--line);vertical-align:top}
th{font-weight:600;width:30%}
code,.value{font:14px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.value{background:#eef3fb;border:1px solid #d5e2f5;border-radius:6px;padding:3px 8px;display:inline-block;user-select:all;overflow-wrap:anywhere}
.copy{margin-left:8px;font-size:12px;padding:3px 9px;border:1px solid var(--line);background:#fff;border-radius:6px;cursor:pointer;color:var(--accent)}
.copy:active{background:#eef3fb}
.note{color:var(--muted);font-size:13px;display:block;margin-top:3px}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:14px}
.platform{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.platform h3{margin:0 0 6px;font-size:16px}
.platform ol{margin:0;padding-left:20px}
.platform li{margin:4px 0}
b.ui{font-weight:600;color:#0b3d6e}
.badge{display:inline-block;min-width:74px;text-align:center;border-radius:999px;padding:1px 10px;font-size:13px;font-weight:600}
.ok{color:var(--ok);background:var(--okbg)}.degraded{color:var(--deg);background:var(--degbg)}
.down{color:var(--down);background:var(--downbg)}.disabled{color:var(--off);background:var(--offbg)}
.warn{background:var(--degbg);border:1px solid #f0d79c;border-radius:8px;padding:10px 12px;margin:10px 0 0}
footer{color:var(--muted);font-size:13px;text-align:center}
#updated{color:var(--muted);font-size:13px}
@media (max-width:560px){main{padding:12px 8px}section{padding:14px}
#settings tr{display:block;border-top:1px solid var(--line);padding:8px 0}
#settings th,#settings td{display:block;width:auto;border:0;padding:2px 0}}
`;

export const STATUS_PAGE_SCRIPT = `
(function(){
  var names={dht:'DHT node',discovery:'Local peer discovery',nameserver:'Name server',proxy:'DHT proxy',turn:'TURN'};
  function text(el,s){el.textContent=s==null?'':String(s);}
  function render(st){
    var tb=document.getElementById('health-rows');
    while(tb.firstChild)tb.removeChild(tb.firstChild);
    Object.keys(names).forEach(function(k){
      var s=st[k]; if(!s)return;
      var tr=document.createElement('tr');
      var th=document.createElement('th'); text(th,names[k]); tr.appendChild(th);
      var td=document.createElement('td'); var b=document.createElement('span');
      b.className='badge '+(/^(ok|degraded|down|disabled)$/.test(s.state)?s.state:'down'); text(b,s.state);
      td.appendChild(b); tr.appendChild(td);
      var td2=document.createElement('td'); text(td2,s.summary); tr.appendChild(td2);
      tb.appendChild(tr);
    });
    var bad=Object.keys(names).filter(function(k){return st[k]&&(st[k].state==='down'||st[k].state==='degraded');});
    var ov=document.getElementById('overall');
    ov.className='badge '+(bad.length?'degraded':'ok');
    text(ov,bad.length?'Needs attention: '+bad.map(function(k){return names[k];}).join(', '):'All services working');
    if(st.dht&&st.dht.nodeId){document.querySelectorAll('[data-node-id]').forEach(function(e){text(e,st.dht.nodeId);});}
    var p=st.appliance||{};
    text(document.getElementById('uptime'),p.uptimeSeconds!=null?Math.round(p.uptimeSeconds/60)+' min':'');
    text(document.getElementById('rss'),p.rssBytes!=null?(p.rssBytes/1048576).toFixed(1)+' MB':'');
    text(document.getElementById('updated'),'Updated '+new Date().toLocaleTimeString());
  }
  function poll(){
    fetch('/api/status',{cache:'no-store'}).then(function(r){return r.json();}).then(render)
      .catch(function(){text(document.getElementById('updated'),'The box is not answering; retrying…');});
  }
  document.addEventListener('click',function(e){
    var btn=e.target.closest&&e.target.closest('button.copy'); if(!btn)return;
    var el=document.getElementById(btn.getAttribute('data-copy')); if(!el)return;
    var done=function(){btn.textContent='Copied';setTimeout(function(){btn.textContent='Copy';},1200);};
    // Select the value (visible, and what execCommand copies): the clipboard API exists only in
    // secure contexts, and the box is plain http on the LAN.
    var r=document.createRange();r.selectNodeContents(el);var sel=getSelection();sel.removeAllRanges();sel.addRange(r);
    if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(el.textContent).then(done,function(){try{if(document.execCommand('copy'))done();}catch(x){}});return;}
    try{if(document.execCommand('copy'))done();}catch(x){}
  });
  try{render(JSON.parse(document.getElementById('initial-status').textContent));}catch(x){}
  setInterval(poll,5000);
})();
`;

function valueCell(id: string, value: string, note = ''): string {
  return `<td><span class="value" id="${id}">${esc(value)}</span><button class="copy" type="button" data-copy="${id}">Copy</button>${note ? `<span class="note">${note}</span>` : ''}</td>`;
}

function settingsRows(m: PageModel): string {
  const rows: string[] = [];
  let n = 0;
  const cell = (value: string, note = '') => valueCell(`v${++n}`, value, note);
  if (m.dhtPort !== null && m.addresses.length > 0) {
    const entries = m.addresses.map((a) => (a.includes(':') ? `[${a}]:${m.dhtPort}` : `${a}:${m.dhtPort}`));
    const note =
      entries.length > 1
        ? 'Replace the whole field with this value (entries are separated by ";", Jami tries each). Any single entry on the device\'s network also works.'
        : 'Replace the whole field with this value; do not append to bootstrap.jami.net.';
    rows.push(`<tr><th>Bootstrap</th>${cell(entries.join(';'), note)}</tr>`);
  }
  if (m.nameServerUrls !== null) {
    for (const url of m.nameServerUrls) {
      rows.push(`<tr><th>Name server</th>${cell(url, 'Type it with <code>http://</code> exactly as shown. Set it before you register a username.')}</tr>`);
    }
  } else {
    rows.push('<tr><th>Name server</th><td>Not offered by this box (turned off). Leave the field as it is; use 40-character IDs instead of usernames.</td></tr>');
  }
  rows.push(
    `<tr><th>Enable local peer discovery</th><td><span class="value">On</span>${m.discovery ? '<span class="note">The box announces itself on the LAN, so devices find it even without a bootstrap (needs multicast; some Wi-Fi with client isolation blocks it).</span>' : '<span class="note">The box\'s own announcements are off, but turning it on still lets devices find each other.</span>'}</td></tr>`,
  );
  if (m.turn !== null) {
    m.turn.addresses.forEach((a) => rows.push(`<tr><th>TURN address</th>${cell(a)}</tr>`));
    rows.push(`<tr><th>TURN username</th>${cell(m.turn.username)}</tr>`);
    rows.push(`<tr><th>TURN password</th>${cell(m.turn.password)}</tr>`);
    rows.push(`<tr><th>TURN realm</th>${cell(m.turn.realm, 'Desktop and iOS only; Android has no realm field and needs none.')}</tr>`);
  }
  if ('addresses' in m.proxy) {
    m.proxy.addresses.forEach((a) => rows.push(`<tr><th>DHT proxy address</th>${cell(a, 'With "proxy list" turned off.')}</tr>`));
  } else {
    rows.push(
      `<tr><th>DHT proxy</th><td><span class="value">Off</span><span class="note">${esc(m.proxy.unavailable)} Phones must not use a proxy: see Android and iOS below.</span></td></tr>`,
    );
  }
  return rows.join('\n');
}

const PLATFORMS = `
<div class="cols">
<div class="platform"><h3>Desktop (Windows, Linux, macOS)</h3><ol>
<li>Click the gear next to the account selector (top left), then under <b class="ui">Account</b> choose <b class="ui">Advanced settings</b>.</li>
<li><b class="ui">Name server</b> › <b class="ui">Address</b>: the name server.</li>
<li><b class="ui">OpenDHT configuration</b>: switch on <b class="ui">Enable local peer discovery</b>, switch off <b class="ui">Enable proxy</b>, and put the bootstrap in <b class="ui">Bootstrap</b>.</li>
<li><b class="ui">Connectivity</b>: <b class="ui">Use TURN</b> on, then <b class="ui">TURN address</b>, <b class="ui">TURN username</b>, <b class="ui">TURN password</b>, <b class="ui">TURN realm</b>.</li>
<li>Each field is saved when you press Enter or leave it; there is no Save button.</li>
</ol></div>
<div class="platform"><h3>Android</h3><ol>
<li>⋮ (top right of the search bar) › <b class="ui">App Settings</b> › <b class="ui">Connectivity mode</b> › <b class="ui">Local DHT node</b>. This keeps Jami running in the background and turns the proxy off.</li>
<li>⋮ › <b class="ui">Account Settings</b>, scroll to <b class="ui">Settings</b> and tap <b class="ui">Advanced</b>.</li>
<li><b class="ui">Name server</b>: the name server.</li>
<li><b class="ui">OpenDHT</b>: check <b class="ui">Use DHT proxy</b> is off, put the bootstrap in <b class="ui">Bootstrap</b>, switch on <b class="ui">Enable local peer discovery</b>.</li>
<li><b class="ui">Peer-to-peer connectivity</b>: <b class="ui">Use TURN</b> on, then <b class="ui">TURN server</b>, <b class="ui">TURN username</b>, <b class="ui">TURN password</b>.</li>
<li>Do not tap <b class="ui">Reset advanced settings</b>: it puts the public jami.net servers back.</li>
</ol></div>
<div class="platform"><h3>iOS</h3><ol>
<li>⋯ (top bar) › <b class="ui">Settings</b>, tap the gear, then under <b class="ui">Account Settings</b>:</li>
<li><b class="ui">Notifications</b>: switch off <b class="ui">Enable notifications</b> (on iOS this is the DHT proxy; it is on for every new account).</li>
<li><b class="ui">Name server</b>: the name server; tap Back to save.</li>
<li><b class="ui">Connectivity and configurations</b>: <b class="ui">Bootstrap</b>, <b class="ui">Enable local peer discovery</b> on, <b class="ui">Enable TURN</b> on, then <b class="ui">TURN address</b>, <b class="ui">TURN username</b>, <b class="ui">TURN password</b>, <b class="ui">TURN realm</b>.</li>
<li>Without push, iOS delivers calls and messages only while Jami is open.</li>
</ol></div>
</div>
<div class="warn"><b>Good to know.</b> Settings are per account: configure every account on every device.
When creating a new account, skip the username step, set the name server, then register the name from
<b class="ui">Manage account</b>; otherwise the name is checked against ns.jami.net and fails offline.</div>
`;

export function renderStatusPage(m: PageModel): string {
  const noAddress =
    m.addresses.length === 0
      ? '<div class="warn">This box has no network address yet (no cable or no DHCP). The values below appear once it has one.</div>'
      : '';
  const initial = JSON.stringify(m.initialStatus).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>lanbox — Jami on this network</title>
<style>${STATUS_PAGE_STYLE}</style>
</head><body>
<header><h1>lanbox: Jami without the Internet</h1>
<p>${esc(m.hostname)} · ${m.addresses.map(esc).join(' · ') || 'no network address'} <span id="overall"></span></p></header>
<main>
<section id="settings"><h2>Type these into every Jami account</h2>
<p class="lead">Open the account's advanced settings (where: see below) and enter exactly these values.</p>
${noAddress}
<table><tbody>
${settingsRows(m)}
</tbody></table></section>
<section id="where"><h2>Where the settings are</h2>
<p class="lead">The names are the English labels in current Jami apps.</p>
${PLATFORMS}
</section>
<section id="health"><h2>Health</h2>
<p class="lead">Refreshed every 5 seconds. <span id="updated"></span></p>
<noscript><p>Turn on JavaScript to see live health, or read <a href="/api/status">/api/status</a>.</p></noscript>
<table><tbody id="health-rows"></tbody></table></section>
<footer>DHT node id <code data-node-id>${esc(m.nodeId ?? 'not started')}</code> · lanbox ${esc(m.version)} ·
up <span id="uptime"></span> · memory <span id="rss"></span> · <a href="/api/status">/api/status</a></footer>
</main>
<script type="application/json" id="initial-status">${initial}</script>
<script>${STATUS_PAGE_SCRIPT}</script>
</body></html>
`;
}

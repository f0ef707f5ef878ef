/**
 * Where each setting lives in the Jami apps, per platform (English UI labels of current clients).
 * Phones differ by whether the box has a DHT proxy: with one, Android and iOS keep the proxy on
 * (new phone accounts start with it on) and point it at the box; without one, they must switch it
 * off and run their own DHT node. The proxy list must be off in every case: with the default list
 * a phone fetches config.jami.net's list first (and bypasses the box when it can reach it).
 */
import type { PageModel } from '../model.js';
import type { PageSection } from '../section.js';

const ui = (s: string) => `<b class="ui">${s}</b>`;

const DESKTOP = `<div class="platform" id="platform-desktop"><h3>Desktop (Windows, Linux, macOS)</h3><ol>
<li>Click the gear next to the account selector (top left), then under ${ui('Account')} choose ${ui('Advanced settings')}.</li>
<li>${ui('Name server')} › ${ui('Address')}: the name server.</li>
<li>${ui('OpenDHT configuration')}: switch on ${ui('Enable local peer discovery')}, switch off ${ui('Enable proxy')} (a computer runs its own DHT node), and put the bootstrap in ${ui('Bootstrap')}.</li>
<li>${ui('Connectivity')}: ${ui('Use TURN')} on, then ${ui('TURN address')}, ${ui('TURN username')}, ${ui('TURN password')}, ${ui('TURN realm')}.</li>
<li>Each field is saved when you press Enter or leave it; there is no Save button.</li>
</ol></div>`;

const ANDROID_PROXY = `<div class="platform" id="platform-android"><h3>Android</h3><ol>
<li>⋮ (right of the search bar) › ${ui('Account Settings')}, scroll to ${ui('Settings')} and tap ${ui('Advanced')}.</li>
<li>${ui('Name server')}: the name server.</li>
<li>${ui('OpenDHT')}: keep ${ui('Use DHT proxy')} on, set ${ui('DHT proxy address')} to the DHT proxy address above, and switch ${ui('Use DHT proxy list')} off. Put the bootstrap in ${ui('Bootstrap')} and switch on ${ui('Enable local peer discovery')}.</li>
<li>${ui('Peer-to-peer connectivity')}: ${ui('Use TURN')} on, then ${ui('TURN server')}, ${ui('TURN username')}, ${ui('TURN password')}.</li>
<li>For calls and messages while Jami is closed (Jami from F-Droid): install ${ui('ntfy')} from F-Droid, open it, and in its ${ui('Settings')} set ${ui('Default server')} to the push server URL above <em>before</em> Jami registers with it. Then in Jami: ⋮ › ${ui('App Settings')} › ${ui('Connectivity mode')} › ${ui('UnifiedPush')}. Jami then wakes through ntfy and the box, with no Google and no Internet.</li>
<li>Jami from the Play Store cannot use ntfy: choose ${ui('Connectivity mode')} › ${ui('Local DHT node')} instead (this switches the proxy off; the bootstrap above is then used).</li>
<li>Do not tap ${ui('Reset advanced settings')}: it puts the public jami.net servers back.</li>
</ol></div>`;

const IOS_PROXY = `<div class="platform" id="platform-ios"><h3>iOS</h3><ol>
<li>⋯ (top bar) › ${ui('Settings')}, tap the gear, then under ${ui('Account Settings')}:</li>
<li>${ui('Notifications')}: keep ${ui('Enable notifications')} on (on iOS this switch is the DHT proxy), switch ${ui('Use proxy list')} off, and set ${ui('Proxy address')} to the DHT proxy address above.</li>
<li>${ui('Name server')}: the name server; tap Back to save.</li>
<li>${ui('Connectivity and configurations')}: ${ui('Bootstrap')}, ${ui('Enable local peer discovery')} on, ${ui('Enable TURN')} on, then ${ui('TURN address')}, ${ui('TURN username')}, ${ui('TURN password')}, ${ui('TURN realm')}.</li>
<li class="plain">iPhone push goes through Apple's servers, which this LAN cannot reach: <strong>calls and messages reach an iPhone only while Jami is open</strong>.</li>
</ol></div>`;

const ANDROID_DIRECT = `<div class="platform" id="platform-android"><h3>Android</h3><ol>
<li>⋮ (right of the search bar) › ${ui('App Settings')} › ${ui('Connectivity mode')} › ${ui('Local DHT node')}. This keeps Jami running in the background and turns the proxy off (this box has no DHT proxy to use).</li>
<li>⋮ › ${ui('Account Settings')}, scroll to ${ui('Settings')} and tap ${ui('Advanced')}.</li>
<li>${ui('Name server')}: the name server.</li>
<li>${ui('OpenDHT')}: check ${ui('Use DHT proxy')} is off, put the bootstrap in ${ui('Bootstrap')}, switch on ${ui('Enable local peer discovery')}.</li>
<li>${ui('Peer-to-peer connectivity')}: ${ui('Use TURN')} on, then ${ui('TURN server')}, ${ui('TURN username')}, ${ui('TURN password')}.</li>
<li>Do not tap ${ui('Reset advanced settings')}: it puts the public jami.net servers back.</li>
</ol></div>`;

const IOS_DIRECT = `<div class="platform" id="platform-ios"><h3>iOS</h3><ol>
<li>⋯ (top bar) › ${ui('Settings')}, tap the gear, then under ${ui('Account Settings')}:</li>
<li>${ui('Notifications')}: switch off ${ui('Enable notifications')} (on iOS this is the DHT proxy, on for every new account; this box has none).</li>
<li>${ui('Name server')}: the name server; tap Back to save.</li>
<li>${ui('Connectivity and configurations')}: ${ui('Bootstrap')}, ${ui('Enable local peer discovery')} on, ${ui('Enable TURN')} on, then ${ui('TURN address')}, ${ui('TURN username')}, ${ui('TURN password')}, ${ui('TURN realm')}.</li>
<li class="plain">Without push, <strong>calls and messages reach an iPhone only while Jami is open</strong>.</li>
</ol></div>`;

const GOOD_TO_KNOW = `<div class="warn"><b>Good to know.</b> Settings are per account: configure every account on every device.
When creating a new account, skip the username step, set the name server, then register the name from
${ui('Manage account')}; otherwise the name is checked against ns.jami.net and fails offline.</div>`;

export const phones: PageSection = {
  id: 'where',
  title: 'Where the settings are',
  lead: 'The names are the English labels in current Jami apps.',
  html: (m: PageModel) => {
    const proxy = 'addresses' in m.proxy && m.proxy.addresses.length > 0;
    return `<div class="cols">${DESKTOP}${proxy ? ANDROID_PROXY + IOS_PROXY : ANDROID_DIRECT + IOS_DIRECT}</div>${GOOD_TO_KNOW}`;
  },
  style: `.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:14px}
.platform{border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.platform h3{margin:0 0 6px}
.platform ol{margin:0;padding-left:20px}
.platform li{margin:4px 0}
b.ui{font-weight:600;color:#0b3d6e}`,
};

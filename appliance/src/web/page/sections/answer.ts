/** The first thing on the page: one plain sentence answering "Is Jami working on this LAN?". */
import type { PageSection } from '../section.js';

export const answer: PageSection = {
  id: 'answer',
  title: 'Is Jami working on this LAN?',
  // The DHT is what every device needs to find another; the other services make names, phones
  // and calls through firewalls work. The sentence says which of these is missing.
  live: `function(st,el,h){
    if(st.offline){h.add(el,'p','verdict down','Unknown: this page cannot reach the box right now. Check that this device is still on the LAN; the page keeps retrying.');return;}
    var names={dht:'the DHT node',discovery:'local peer discovery',nameserver:'the name server',proxy:'the DHT proxy',push:'the push service',turn:'TURN',system:'the box itself',replication:'the shared name registry',image:'the box setup (settings file, DHCP)'};
    var bad=[],off=[];
    for(var k in st){var s=st[k];if(!h.obj(s)||typeof s.state!=='string'||typeof s.summary!=='string')continue;
      if(s.state==='down'||s.state==='degraded')bad.push(names[k]||k);else if(s.state==='disabled')off.push(names[k]||k);}
    var dht=st.dht&&st.dht.state;var p;
    if(dht==='down')p=h.add(el,'p','verdict down','No: the DHT node is not running, so Jami devices on this LAN cannot find each other through the box.');
    else if(bad.length)p=h.add(el,'p','verdict degraded','Partly: devices can find each other and message, but '+bad.join(', ')+(bad.length>1?' need':' needs')+' attention (see below).');
    else p=h.add(el,'p','verdict ok','Yes: devices that use the settings below can find each other, message and call through this box.');
    if(off.length)h.add(el,'p','note','Turned off on this box: '+off.join(', ')+'.');
  }`,
  style: `.verdict{font-size:18px;font-weight:600;margin:0;padding:10px 14px;border-radius:8px}`,
};

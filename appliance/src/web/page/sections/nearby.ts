/**
 * What local peer discovery hears on the LAN: Jami accounts (with the display name they announce)
 * and DHT nodes, with how long ago each was last heard (by the box's clock, so a phone whose
 * clock differs still reads the right age).
 */
import type { PageSection } from '../section.js';

export const nearby: PageSection = {
  id: 'nearby',
  title: 'Heard on this LAN',
  lead: 'Jami devices with <b>Enable local peer discovery</b> on announce themselves; the box lists what it heard.',
  live: `function(st,el,h){
    var d=st.discovery;if(!h.obj(d))return false;
    if(d.state==='disabled'){h.add(el,'p','empty','Local peer discovery is turned off on this box, so it does not listen for devices.');return;}
    var now=st.appliance&&h.num(st.appliance.statusAt)?st.appliance.statusAt:Date.now();
    var MAX=30;
    function list(title,items,cols,empty){
      h.add(el,'h3',null,title+' ('+items.length+')');
      if(!items.length){h.add(el,'p','empty',empty);return;}
      var t=h.add(el,'table','list');var hr=h.add(h.add(t,'thead'),'tr');cols.forEach(function(c){h.add(hr,'th',null,c[0]);});
      var tb=h.add(t,'tbody');
      items.slice().sort(function(a,b){return (b.lastSeen||0)-(a.lastSeen||0);}).slice(0,MAX).forEach(function(it){
        var tr=h.add(tb,'tr');cols.forEach(function(c){h.add(tr,'td',c[2]||null,c[1](it));});
      });
      if(items.length>MAX)h.add(el,'p','note','and '+(items.length-MAX)+' more (see /api/status).');
    }
    var accounts=Array.isArray(d.accounts)?d.accounts:[];
    var nodes=Array.isArray(d.nodes)?d.nodes:[];
    list('Jami accounts',accounts,[
      ['Name',function(a){return a.displayName?a.displayName:'(no name announced)';}],
      ['Account',function(a){return String(a.accountId||'').slice(0,12)+'…';},'mono'],
      ['Last heard',function(a){return h.ago(a.lastSeen,now);}]],
      'None heard yet. Devices announce themselves about once a minute while Jami runs with local peer discovery on.');
    list('DHT nodes',nodes,[
      ['Node',function(n){return String(n.id||'').slice(0,12)+'…';},'mono'],
      ['Address',function(n){return (String(n.address).indexOf(':')>=0?'['+n.address+']':n.address)+':'+n.port;},'mono'],
      ['Last heard',function(n){return h.ago(n.lastSeen,now);}]],
      'None heard yet.');
  }`,
  style: `table.list th{width:auto;font-size:13px;color:var(--muted)}
table.list td{font-size:14px;overflow-wrap:anywhere}`,
};

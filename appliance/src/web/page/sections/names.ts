/** The name server's registry: how many names, the latest ones, and lookups served. */
import type { PageSection } from '../section.js';

export const names: PageSection = {
  id: 'names',
  title: 'Names registered on this box',
  live: `function(st,el,h){
    var n=st.nameserver;if(!h.obj(n))return false;
    if(n.state==='disabled'){h.add(el,'p','empty','The name server is turned off on this box.');return;}
    var now=st.appliance&&h.num(st.appliance.statusAt)?st.appliance.statusAt:Date.now();
    var tb=h.add(h.add(el,'table','kv'),'tbody');
    h.row(tb,'Names',h.num(n.names)?n.names+(h.num(n.maxNames)?' (limit '+n.maxNames+')':''):'unknown');
    if(h.obj(n.lookups))h.row(tb,'Lookups answered',(n.lookups.byName+n.lookups.byAddr)+' ('+n.lookups.found+' found, '+n.lookups.notFound+' not found)');
    var recent=Array.isArray(n.recent)?n.recent:[];
    if(!recent.length){h.row(tb,'Most recent','none yet');return;}
    var ul=h.el('ul','names');
    recent.forEach(function(r){var li=h.add(ul,'li');h.add(li,'b',null,r.name);h.add(li,'span','note-inline',' '+h.ago(r.registeredAt,now));});
    h.row(tb,'Most recent',ul);
  }`,
  style: `ul.names{margin:0;padding-left:18px}.note-inline{color:var(--muted);font-size:13px}`,
};

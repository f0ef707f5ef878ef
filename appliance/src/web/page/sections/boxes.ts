/**
 * The other lanbox boxes of the site (registry replication, docs/multi-box.md): each with its
 * address, whether it answers, when the last exchange with it completed; and the name conflicts
 * this box lost after a split, with the losing registration it keeps for the operator.
 */
import type { PageSection } from '../section.js';

export const boxes: PageSection = {
  id: 'boxes',
  title: 'Other boxes of this site',
  lead: 'Boxes on the same LAN share one name registry: a name registered at any of them works at all of them.',
  live: `function(st,el,h){
    var r=st.replication;if(!h.obj(r))return false;
    if(r.state==='disabled'){h.add(el,'p','empty',r.summary||'Registry sharing is turned off on this box.');return;}
    var now=st.appliance&&h.num(st.appliance.statusAt)?st.appliance.statusAt:Date.now();
    var peers=Array.isArray(r.peers)?r.peers:[];
    if(!peers.length){h.add(el,'p','empty','No other box found yet. Boxes on one LAN find each other by themselves; across links without multicast, start one of them with --peer-box.');}
    else{
      var t=h.add(el,'table','list');var hr=h.add(h.add(t,'thead'),'tr');
      ['Box','Address','State','Last exchange','Names received'].forEach(function(c){h.add(hr,'th',null,c);});
      var tb=h.add(t,'tbody');
      peers.forEach(function(p){
        var tr=h.add(tb,'tr');
        h.add(tr,'td','mono',p.id?String(p.id).slice(0,12)+'…':'(not reached yet)');
        h.add(tr,'td','mono',(String(p.host).indexOf(':')>=0?'['+p.host+']':p.host)+':'+p.port);
        var st2=h.add(tr,'td');st2.appendChild(h.badge(p.state==='up'?'ok':p.state==='down'?'down':'degraded',p.state==='up'?'reachable':p.state==='down'?'unreachable':'not tried yet'));
        if(p.state==='down'&&p.lastError)h.add(st2,'div','note',String(p.lastError));
        h.add(tr,'td',null,h.ago(p.lastSync,now));
        h.add(tr,'td',null,String(p.received||0));
      });
    }
    var conflicts=Array.isArray(r.conflicts)?r.conflicts:[];
    if(conflicts.length){
      h.add(el,'h3',null,'Name conflicts lost by this box ('+(r.conflictsLost||conflicts.length)+')');
      h.add(el,'p','note','During a split, another box gave these names to someone else first. The owners below registered here and lost the name: ask them to register another one. Their registrations are kept in /api/status.');
      var ct=h.add(el,'table','list');var ch=h.add(h.add(ct,'thead'),'tr');
      ['Name','Lost by (Jami ID)','Now held by','Settled'].forEach(function(c){h.add(ch,'th',null,c);});
      var cb=h.add(ct,'tbody');
      conflicts.forEach(function(c){
        var tr=h.add(cb,'tr');
        h.add(tr,'td','mono',String(c.name));
        h.add(tr,'td','mono',String(c.lost&&c.lost.addr||'').slice(0,12)+'…');
        h.add(tr,'td','mono',(c.winner&&c.winner.name!==c.name?c.winner.name+' ':'')+String(c.winner&&c.winner.addr||'').slice(0,12)+'…');
        h.add(tr,'td',null,h.ago(c.resolvedAt,now));
      });
    }
    var n=r.counters||{};
    if(n.badRecords||n.throttled){h.add(el,'p','note','Refused from other boxes: '+(n.badRecords||0)+' records failing verification, '+(n.throttled||0)+' requests over their budget.');}
  }`,
};

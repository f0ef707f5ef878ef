/**
 * The stores in the data dir: whether each can be written, damage found at start and what was
 * recovered, the last verified backup of the names, and the operator's repair button (it sends
 * the admin token typed here; the box checks it, the page keeps nothing).
 */
import type { PageSection } from '../section.js';

export const storage: PageSection = {
  id: 'storage',
  title: 'Stored data',
  live: `function(st,el,h){
    var s=st.storage;if(!h.obj(s))return false;
    var now=st.appliance&&h.num(st.appliance.statusAt)?st.appliance.statusAt:Date.now();
    var tb=h.add(h.add(el,'table','kv'),'tbody');
    var d=s.dht;
    if(h.obj(d)){
      var ds=h.el('span');ds.appendChild(h.badge(d.state==='ok'?'ok':'degraded',d.state==='ok'?'on disk':'in memory only'));
      if(d.problem)h.add(ds,'span','note',d.problem);
      if(h.obj(d.damage))h.add(ds,'span','note','Was damaged ('+d.damage.error+'); '+d.damage.action+'. A copy of the damaged files: '+d.damage.copy);
      h.row(tb,'DHT node id and contacts',ds);
    }
    var n=s.names;if(!h.obj(n))return;
    var dmg=n.damage,open=h.obj(dmg)&&(n.repairedAt===null||dmg.detectedAt>n.repairedAt);
    var ns=h.el('span');ns.appendChild(h.badge(n.state==='ok'&&!open?'ok':n.state==='down'?'down':'degraded',n.state==='ok'?(open?'damaged, recovered':'working'):n.state==='read-only'?'read-only':'not available'));
    if(n.problem)h.add(ns,'span','note',n.problem);
    h.row(tb,'Names',ns);
    if(h.obj(dmg)){
      var dd=h.el('span',null,dmg.error);
      h.add(dd,'span','note',dmg.namesRead+' names read from the store, '+dmg.restoredFromBackup+' restored from the backup, '+dmg.lost+' lost'+(dmg.conflicts?', '+dmg.conflicts+' in conflict':'')+' · found '+h.ago(dmg.detectedAt,now)+(open?'':' · repaired '+h.ago(n.repairedAt,now)));
      if(dmg.copy)h.add(dd,'span','note','Copy of the damaged files: '+dmg.copy);
      h.row(tb,'Damage found',dd);
    }
    var b=h.obj(n.backup)?n.backup:{};
    h.row(tb,'Last backup',h.obj(b.last)?h.ago(b.last.at,now)+' · '+b.last.names+' names · '+b.last.file+(b.failed?' · last attempt failed: '+b.failed:''):(b.failed?'failed: '+b.failed:'none yet'));
    if(!open&&n.state==='ok')return;
    var form=h.add(el,'div','repair');
    h.add(form,'p','note','Repair keeps a copy of the names store, rebuilds it and restores what the last backup has. It needs the admin token.');
    var tok=h.add(form,'input');tok.type='password';tok.placeholder='admin token';tok.autocomplete='off';
    var btn=h.add(form,'button',null,'Repair the names store');btn.type='button';
    var out=h.add(form,'span','note');
    btn.addEventListener('click',function(){
      btn.disabled=true;out.textContent='Repairing…';
      fetch('/api/storage/repair',{method:'POST',headers:{Authorization:'Bearer '+tok.value},cache:'no-store'})
        .then(function(r){return r.json().then(function(j){return {status:r.status,body:j};});})
        .then(function(r){out.textContent=r.status===200?'Repaired: the store is '+r.body.names.state+'.':'Not repaired: '+(r.body.error||('HTTP '+r.status));btn.disabled=false;})
        .catch(function(x){out.textContent='Not repaired: '+x.message;btn.disabled=false;});
    });
  }`,
  style: `.repair{margin-top:8px}.repair input{font:inherit;padding:4px 6px;margin-right:6px}.repair button{font:inherit;padding:4px 10px}`,
};

/**
 * Jami DNS mode (/api/status `dns`): whether the box answers the LAN's DNS for Jami's names, what
 * that does, how many devices asked for each name in the last hour, the default-route warning,
 * and the one field still worth typing (the name server, for usernames).
 */
import type { PageSection } from '../section.js';

export const jamiDns: PageSection = {
  id: 'jami-dns',
  title: 'Nothing to type: Jami DNS mode',
  live: `function(st,el,h){
    var d=st.dns;if(!h.obj(d))return false;
    var p=h.add(el,'p');p.appendChild(h.badge(d.mode==='jami-dns'?d.state:'disabled',d.mode==='jami-dns'?'on':'off'));
    if(d.mode!=='jami-dns'){
      p.appendChild(document.createTextNode(' When this box is the LAN\\'s DNS server and this mode is on (lanbox --jami-dns), Jami apps with default settings use this box with nothing typed: it answers bootstrap.jami.net, turn.jami.net and dhtproxy.jami.net with its own address. Use it only on a LAN without Internet.'));
      return;
    }
    p.appendChild(document.createTextNode(' '+(typeof d.explanation==='string'?d.explanation:'')));
    if(typeof d.warning==='string'&&d.warning)h.add(el,'p','warn',d.warning);
    var t=h.add(el,'table','kv'),b=h.add(t,'tbody');
    var devs=h.obj(d.devicesLastHour)?d.devicesLastHour:{};
    for(var name in devs){if(!Object.prototype.hasOwnProperty.call(devs,name))continue;
      var n=devs[name];h.row(b,name,h.num(n)?(n+(n===1?' device':' devices')+' asked in the last hour'):'');}
    var c=h.obj(d.counters)?d.counters:{};
    h.row(b,'Queries',(h.num(c.received)?c.received:0)+' received, '+(h.num(c.answered)?c.answered:0)+' answered with this box, '+(h.num(c.nxdomain)?c.nxdomain:0)+' "no such name", '+(h.num(c.refused)?c.refused:0)+' refused, '+(h.num(c.relayed)?c.relayed:0)+' forwarded'+(d.upstream?' to '+d.upstream:''));
    var ns=st.clients&&st.clients.nameServer&&st.clients.nameServer.length?st.clients.nameServer[0]:null;
    h.add(el,'p','note',ns?('Still worth typing once per account, for usernames: the name server '+ns+' (Jami\\'s default, https://ns.jami.net, needs a certificate this box cannot have). Everything else works with nothing typed. Start this box before the devices\\' Jami, or restart Jami.'):'Usernames need a name server, which is turned off on this box: use 40-character IDs.');
  }`,
  style: `table.kv th{text-align:left;font-weight:600;padding-right:12px}`,
};

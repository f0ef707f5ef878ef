/**
 * The DHT proxy and the push service, once the box has them (`proxy` and `push` in /api/status):
 * health, phones connected, subscriptions and pushes (the values to type are in the settings
 * section). Hidden while both are absent or turned off.
 */
import type { PageSection } from '../section.js';

export const proxy: PageSection = {
  id: 'proxy',
  title: 'Phones: DHT proxy and push',
  live: `function(st,el,h){
    var p=st.proxy,u=st.push;
    var hasProxy=h.obj(p)&&p.state!=='disabled';
    var hasPush=h.obj(u)&&u.state!=='disabled';
    if(!hasProxy&&!hasPush)return false;
    function n(v){return h.num(v)?String(v):'–';}
    var tb=h.add(h.add(el,'table','kv'),'tbody');
    if(hasProxy){
      var s=h.el('span');s.appendChild(h.badge(p.state));h.add(s,'span','note',p.summary);h.row(tb,'Proxy',s);
      h.row(tb,'Phones connected',n(p.clients)+(h.num(p.listens)?' · '+p.listens+' listening':''));
      if(h.obj(p.subscriptions))h.row(tb,'Push subscriptions',n(p.subscriptions.total)+(h.num(p.subscriptions.unifiedpush)?' ('+p.subscriptions.unifiedpush+' UnifiedPush, '+n(p.subscriptions.android)+' Android, '+n(p.subscriptions.ios)+' iOS)':''));
      if(h.obj(p.pushes))h.row(tb,'Pushes',n(p.pushes.sent)+' sent, '+n(p.pushes.failed)+' failed, '+n(p.pushes.refused)+' refused'+(h.num(p.pushes.undeliverable)&&p.pushes.undeliverable?', '+p.pushes.undeliverable+' with nowhere to go':''));
    }
    if(hasPush){
      var s2=h.el('span');s2.appendChild(h.badge(u.state));h.add(s2,'span','note',u.summary);h.row(tb,'Push service',s2);
      h.row(tb,'ntfy apps connected',n(u.subscribers)+(h.num(u.topics)?' · '+u.topics+' topics':''));
      h.row(tb,'Notifications',n(u.published)+' received, '+n(u.delivered)+' delivered'+(h.num(u.cachedMessages)?' · '+u.cachedMessages+' waiting':''));
    }
  }`,
};

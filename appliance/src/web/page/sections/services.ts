/**
 * A card per service: its state in words and colour, and the reason (the service's `summary`).
 * Any top-level /api/status member with a string `state` and `summary` gets a card, so a service
 * added later appears without touching this file; `TITLES` only gives known ones a nicer name
 * and an order.
 */
import type { PageSection } from '../section.js';

export const services: PageSection = {
  id: 'services',
  title: 'Services on the box',
  lead: 'Refreshed every 5 seconds. <span id="updated"></span>',
  live: `function(st,el,h){
    var TITLES={dht:'DHT node',discovery:'Local peer discovery',nameserver:'Name server',proxy:'DHT proxy',push:'Push (ntfy)',turn:'TURN',replication:'Shared name registry',system:'The box',image:'Box setup'};
    var keys=Object.keys(TITLES).filter(function(k){return h.obj(st[k]);});
    Object.keys(st).forEach(function(k){var s=st[k];if(keys.indexOf(k)<0&&h.obj(s)&&typeof s.state==='string'&&typeof s.summary==='string')keys.push(k);});
    var grid=h.add(el,'div','cards');
    keys.forEach(function(k){var s=st[k];if(typeof s.state!=='string')return;
      var state=st.offline?'unknown':s.state;
      var card=h.add(grid,'div','card '+(st.offline?'disabled':h.stateClass(state)));card.id='card-'+k;card.setAttribute('data-state',state);
      var top=h.add(card,'div','card-top');h.add(top,'b',null,TITLES[k]||k);
      top.appendChild(h.badge(st.offline?'disabled':state,st.offline?'unknown':null));
      h.add(card,'p','reason',st.offline?'The box is not answering.':s.summary);
    });
  }`,
  style: `.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:10px}
.card{border-radius:8px;padding:10px 12px;border:1px solid var(--line);border-left-width:6px}
.card.ok{border-left-color:var(--ok)}.card.degraded{border-left-color:#d79b00}.card.down{border-left-color:var(--down)}.card.disabled{border-left-color:#9aa3b2}
.card-top{display:flex;justify-content:space-between;align-items:center;gap:8px}
.card .reason{margin:6px 0 0;color:var(--ink);font-size:14px;overflow-wrap:anywhere}`,
};

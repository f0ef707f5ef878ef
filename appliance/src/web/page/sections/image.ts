/**
 * Only on the SD-card image: what the settings file on the card's FAT partition did (and its
 * errors, which never stop the box), and whether the box serves DHCP on this LAN, and why.
 */
import type { PageSection } from '../section.js';

export const image: PageSection = {
  id: 'image',
  title: 'Box setup (settings file, DHCP)',
  live: `function(st,el,h){
    var s=st.image;if(!h.obj(s))return false;
    var tb=h.add(h.add(el,'table','kv'),'tbody');
    var f=s.settingsFile;
    if(h.obj(f)){
      var fv=h.el('span',null,f.present?f.path:'none (defaults): '+f.path);
      if(f.applied&&f.applied.length)h.add(fv,'span','note','applied: '+f.applied.join(', '));
      h.row(tb,'Settings file',fv);
      if(f.errors&&f.errors.length){
        var ul=h.el('ul','image-errors');for(var i=0;i<f.errors.length;i++)h.add(ul,'li',null,f.errors[i]);
        var ev=h.el('span');ev.appendChild(h.badge('degraded','ignored'));ev.appendChild(ul);h.row(tb,'Errors in it',ev);
      }
    }
    var d=s.dhcp;
    if(h.obj(d)){
      var dv=h.el('span');dv.appendChild(h.badge(d.serving?'ok':d.mode==='error'?'down':d.mode==='off'?'disabled':'degraded',d.serving?'serving':d.mode));
      h.add(dv,'span','note',d.reason);h.row(tb,'DHCP server',dv);
    }
    if(s.address)h.row(tb,'Address',s.address);
    if(s.ssh)h.row(tb,'SSH',s.ssh);
  }`,
  style: `.image-errors{margin:4px 0 0;padding-left:18px}`,
};

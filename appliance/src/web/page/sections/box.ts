/** The box itself: load, memory, free space where the data lives, uptime, temperature. */
import type { PageSection } from '../section.js';

export const box: PageSection = {
  id: 'box',
  title: 'The box',
  live: `function(st,el,h){
    var s=st.system,a=st.appliance;if(!h.obj(s))return false;
    var tb=h.add(h.add(el,'table','kv'),'tbody');
    var st8=h.el('span');st8.appendChild(h.badge(s.state));h.add(st8,'span','note',s.summary);h.row(tb,'State',st8);
    h.row(tb,'CPU load',h.num(s.load1)?s.load1.toFixed(2)+' · '+s.load5.toFixed(2)+' · '+s.load15.toFixed(2)+' (1, 5, 15 min) on '+s.cpus+' CPU'+(s.cpus===1?'':'s'):'');
    h.row(tb,'Memory',h.bytes(s.memoryAvailableBytes)+' available of '+h.bytes(s.memoryTotalBytes)+(h.obj(a)&&h.num(a.rssBytes)?' · lanbox uses '+h.bytes(a.rssBytes):''));
    var disk=h.num(s.diskFreeBytes)?h.bytes(s.diskFreeBytes)+' free of '+h.bytes(s.diskTotalBytes):'unknown';
    var dt=h.el('span',null,disk);if(h.obj(a)&&a.dataDir)h.add(dt,'span','note','where the data lives: '+a.dataDir);
    h.row(tb,'Free space',dt);
    h.row(tb,'Up',h.dur(s.uptimeSeconds)+(h.obj(a)&&h.num(a.uptimeSeconds)?' (lanbox: '+h.dur(a.uptimeSeconds)+')':''));
    h.row(tb,'Temperature',h.num(s.temperatureCelsius)?s.temperatureCelsius.toFixed(1)+' °C ('+s.temperatureSource+')':'not reported by this board');
  }`,
};

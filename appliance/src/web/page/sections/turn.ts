/**
 * TURN over the last 24 hours: per monitored server, a strip of half-hour slices (green ok, amber
 * degraded, red down, grey no check) drawn as inline SVG, and under it each bad stretch with its
 * reason. Data: `turn.servers[].history.timeline` from the TURN monitor.
 */
import type { PageSection } from '../section.js';

export const turn: PageSection = {
  id: 'turn-history',
  title: 'TURN over the last 24 hours',
  lead: 'The box checks its TURN server every minute the way Jami uses it (TCP allocation, then relaying). Left is 24 hours ago, right is now.',
  live: `function(st,el,h){
    var t=st.turn;if(!h.obj(t))return false;
    var servers=Array.isArray(t.servers)?t.servers:[];
    if(t.state==='disabled'||!servers.length){h.add(el,'p','empty','No TURN server is monitored.');return;}
    var COLORS={ok:'#2e9e55',degraded:'#e0a800',down:'#c62828',none:'#d5d9e0'};
    function worst(b){return b.down?'down':b.degraded?'degraded':b.ok?'ok':'none';}
    servers.forEach(function(s,si){
      var box=h.add(el,'div','turn-server');
      var top=h.add(box,'div','card-top');h.add(top,'b','mono',s.url);top.appendChild(h.badge(s.state==='pending'?'degraded':s.state,s.state==='pending'?'first check running':null));
      var tl=s.history&&s.history.timeline;
      if(!h.obj(tl)||!Array.isArray(tl.buckets)||!tl.buckets.length){h.add(box,'p','empty','No history yet.');return;}
      var n=tl.buckets.length,W=320,H=28,bw=W/n;
      var svg=h.svg('svg',{viewBox:'0 0 '+W+' '+(H+14),'class':'turn-chart',role:'img','aria-label':'TURN checks of '+s.url+' over 24 hours'});
      svg.id='turn-chart-'+si;
      tl.buckets.forEach(function(b,i){
        var state=worst(b);
        var r=h.svg('rect',{x:(i*bw).toFixed(2),y:0,width:(bw-1).toFixed(2),height:H,fill:COLORS[state],'data-state':state});
        var ago=(n-i)*tl.bucketMs/1000;
        var title=h.svg('title',{});title.textContent=h.dur(ago)+' ago: '+(state==='none'?'no check':b.ok+' ok, '+b.degraded+' degraded, '+b.down+' down')+(b.error?' — '+b.error:'');
        r.appendChild(title);svg.appendChild(r);
      });
      [[0,'24 h ago','start'],[W/2,'12 h','middle'],[W,'now','end']].forEach(function(l){var tx=h.svg('text',{x:l[0],y:H+12,'font-size':9,fill:'#5b6475','text-anchor':l[2]});tx.textContent=l[1];svg.appendChild(tx);});
      box.appendChild(svg);
      // Bad stretches: consecutive slices that were not all ok, with the latest reason seen in them.
      var bad=[],cur=null;
      tl.buckets.forEach(function(b,i){var w=worst(b);
        if(w==='down'||w==='degraded'){if(cur&&cur.end===i&&(!b.error||b.error===cur.error||!cur.error)){cur.end=i+1;if(w==='down')cur.state='down';if(b.error)cur.error=b.error;}
          else{cur={start:i,end:i+1,state:w,error:b.error};bad.push(cur);}}
        else if(w==='ok')cur=null;});
      if(!bad.length){h.add(box,'p','note',s.history.checks+(s.history.checks===1?' check':' checks')+' in 24 hours, none failed.');return;}
      var ul=h.add(box,'ul','turn-bad');
      // A stretch's start is its first slice's start, or the last ok check if that came later.
      var lastOk=s.history.lastOkAt,sinceOk=h.num(lastOk)?(tl.end-lastOk)/1000:Infinity;
      bad.slice(-8).forEach(function(x){
        var from=(n-x.start)*tl.bucketMs/1000;if(sinceOk>=0&&sinceOk<from&&sinceOk>(n-x.start-1)*tl.bucketMs/1000)from=sinceOk;
        var li=h.add(ul,'li');li.appendChild(h.badge(x.state));
        h.add(li,'span',null,' from '+h.dur(from)+' ago to '+(x.end===n?'now':h.dur((n-x.end)*tl.bucketMs/1000)+' ago')+': '+(x.error||'no reason recorded'));
      });
    });
  }`,
  style: `.turn-server{margin:0 0 14px}
svg.turn-chart{display:block;width:100%;max-width:560px;height:auto;margin:8px 0 4px}
ul.turn-bad{margin:4px 0 0;padding-left:0;list-style:none;font-size:14px}
ul.turn-bad li{margin:4px 0;overflow-wrap:anywhere}`,
};

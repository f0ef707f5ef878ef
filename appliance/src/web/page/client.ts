/**
 * The page's one script, assembled from the sections' `live` functions. It polls /api/status
 * every 5 s and re-renders each live section; a section's DOM is replaced only when its new
 * rendering differs, so a selection (to copy a value) survives polls that change nothing.
 * Helpers create nodes and set text through textContent only.
 */
import type { PageSection } from './section.js';

/** Poll period of the page (shown in its text too). */
export const POLL_MS = 5000;

const RUNTIME = `
var h={
  el:function(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=String(text);return e;},
  add:function(parent,tag,cls,text){var e=h.el(tag,cls,text);parent.appendChild(e);return e;},
  svg:function(tag,attrs){var e=document.createElementNS('http://www.w3.org/2000/svg',tag);for(var k in attrs)if(Object.prototype.hasOwnProperty.call(attrs,k))e.setAttribute(k,String(attrs[k]));return e;},
  num:function(v){return typeof v==='number'&&isFinite(v);},
  obj:function(v){return v!==null&&typeof v==='object'&&!Array.isArray(v);},
  stateClass:function(s){return /^(ok|degraded|down|disabled)$/.test(s)?s:'down';},
  stateWords:function(s){return ({ok:'working',degraded:'needs attention',down:'not working',disabled:'turned off'})[s]||'not working';},
  badge:function(state,text){return h.el('span','badge '+h.stateClass(state),text==null?h.stateWords(state):text);},
  dur:function(sec){if(!h.num(sec))return '';sec=Math.max(0,Math.round(sec));
    if(sec<90)return sec+' s';if(sec<5400)return Math.round(sec/60)+' min';if(sec<172800)return (sec/3600).toFixed(1)+' h';return Math.round(sec/86400)+' days';},
  ago:function(ms,now){if(!h.num(ms))return 'never';return h.dur(((now||Date.now())-ms)/1000)+' ago';},
  bytes:function(n){if(!h.num(n))return '';var u=['B','KB','MB','GB','TB'],i=0;while(n>=1024&&i<u.length-1){n/=1024;i++;}return (i?n.toFixed(1):n)+' '+u[i];},
  row:function(tbody,key,value){var tr=h.add(tbody,'tr');h.add(tr,'th',null,key);var td=h.add(tr,'td');if(value!=null&&typeof value==='object')td.appendChild(value);else td.textContent=value==null?'':String(value);return tr;},
  copyable:function(id,value){var s=h.el('span');var v=h.add(s,'span','value',value);v.id=id;var b=h.add(s,'button','copy','Copy');b.type='button';b.setAttribute('data-copy',id);return s;}
};
var last={};
function text(el,s){if(el)el.textContent=s==null?'':String(s);}
function renderAll(st){
  for(var i=0;i<SECTIONS.length;i++){
    var s=SECTIONS[i],sec=document.getElementById(s.id);if(!sec)continue;
    var live=sec.querySelector('.live');if(!live)continue;
    var fresh=document.createElement('div');fresh.className='live';var shown;
    try{shown=s.live(st,fresh,h);}catch(x){fresh.textContent='';h.add(fresh,'p','note','This part could not be shown: '+x.message);}
    sec.hidden=shown===false;
    if(fresh.innerHTML!==live.innerHTML)sec.replaceChild(fresh,live);
  }
}
function poll(){
  fetch('/api/status',{cache:'no-store'}).then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.json();})
    .then(function(st){last=st;document.body.removeAttribute('data-offline');renderAll(st);text(document.getElementById('updated'),'Updated '+new Date().toLocaleTimeString());})
    .catch(function(){document.body.setAttribute('data-offline','');var st={};for(var k in last)st[k]=last[k];st.offline=true;renderAll(st);text(document.getElementById('updated'),'The box is not answering; retrying…');});
}
document.addEventListener('click',function(e){
  var btn=e.target.closest&&e.target.closest('button.copy');if(!btn)return;
  var el=document.getElementById(btn.getAttribute('data-copy'));if(!el)return;
  var done=function(){btn.textContent='Copied';setTimeout(function(){btn.textContent='Copy';},1200);};
  // Select the value (visible, and what execCommand copies): the clipboard API exists only in
  // secure contexts, and the box is plain http on the LAN.
  var r=document.createRange();r.selectNodeContents(el);var sel=getSelection();sel.removeAllRanges();sel.addRange(r);
  if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(el.textContent).then(done,function(){try{if(document.execCommand('copy'))done();}catch(x){}});return;}
  try{if(document.execCommand('copy'))done();}catch(x){}
});
try{last=JSON.parse(document.getElementById('initial-status').textContent);renderAll(last);}catch(x){}
setInterval(poll,${POLL_MS});
`;

/** The whole script for these sections (its hash goes into the page's CSP). */
export function pageScript(sections: readonly PageSection[]): string {
  const table = sections
    .filter((s) => s.live !== undefined)
    .map((s) => `{id:${JSON.stringify(s.id)},live:${s.live}}`)
    .join(',\n');
  return `(function(){\n'use strict';\nvar SECTIONS=[\n${table}\n];\n${RUNTIME}})();\n`;
}

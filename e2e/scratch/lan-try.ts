import { createLan } from '../src/lan.js';
import { createTeardown } from '../src/teardown.js';
import { startTracked } from '../src/process.js';
import { waitFor } from '../src/wait.js';
const td = createTeardown();
try {
  const lan = await createLan({ tag: 'lbe2', hosts: ['box', 'a'], teardown: td });
  const box = lan.host('box');
  const srv = startTracked(box.wrap[0]!, [...box.wrap.slice(1), process.execPath, '-e', "require('http').createServer((q,s)=>s.end('hi '+q.socket.remoteAddress)).listen(8080)"], { label: 'srv', logFile: '/tmp/lbe2-srv.log', teardown: td });
  console.log(await waitFor('srv', () => lan.host('a').httpGet(`http://${box.ip}:8080/`), { timeoutMs: 10000 }));
  console.log(await lan.host('a').run('ip', ['addr']));
} finally { console.log(await td.run()); }

import { createLan, createSteps, createTeardown, startBox, startJamiDevice, lanAccountDetails, sleep } from '../src/index.js';
const steps = createSteps();
const td = createTeardown();
const j = (v: unknown) => JSON.stringify(v, (k, x) => typeof x === 'bigint' ? String(x) : x).slice(0, 300);
try {
  const lan = await steps.step('LAN', () => createLan({ tag: 'lbe2', hosts: ['box', 'a', 'b'], teardown: td }));
  const box = await steps.step('box', () => startBox({ host: lan.host('box'), teardown: td }));
  const [a, b] = await Promise.all([startJamiDevice({ host: lan.host('a'), teardown: td }), startJamiDevice({ host: lan.host('b'), teardown: td })]);
  const [accA, accB] = await Promise.all([a.addAccount(lanAccountDetails(box)), b.addAccount(lanAccountDetails(box))]);
  const [uA, uB] = await Promise.all([a.accountUri(accA), b.accountUri(accB)]);
  await Promise.all([a.waitRegistered(accA, 60000), b.waitRegistered(accB, 60000)]);
  const since0 = a.mark();
  await b.sendConversationRequest(accB, uA);
  const conv = await a.waitConversationRequest(accA, uB, { since: since0, timeoutMs: 60000 });
  await a.acceptConversationRequest(accA, conv);
  await a.waitConversationReady(accA, conv, { since: since0, timeoutMs: 60000 });
  await sleep(3000);
  const since = a.mark(); const sinceB = b.mark();
  const id = await a.sendTextMessage(accA, uB, 'hello text');
  console.log('sent id', id);
  await sleep(20000);
  console.log('status', j(await a.call('getMessageStatus', 't', [id])));
  for (const s of a.bus.signals.slice(since)) console.log('A', s.member, j(s.body));
  for (const s of b.bus.signals.slice(sinceB)) console.log('B', s.member, j(s.body));
  console.log('dirs', a.home, b.home, box.dir);
  await sleep(1000);
} finally { console.log(steps.summary()); await td.run(); }

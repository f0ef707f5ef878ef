import { createLan, createSteps, createTeardown, startBox, startJamiDevice, lanAccountDetails, sleep } from '../src/index.js';
const steps = createSteps();
const td = createTeardown();
try {
  const lan = await steps.step('LAN', () => createLan({ tag: 'lbe2', hosts: ['box', 'a', 'b'], teardown: td }));
  const box = await steps.step('box', () => startBox({ host: lan.host('box'), teardown: td }));
  const [a, b] = await Promise.all([startJamiDevice({ host: lan.host('a'), teardown: td }), startJamiDevice({ host: lan.host('b'), teardown: td })]);
  const [accA, accB] = await Promise.all([a.addAccount(lanAccountDetails(box)), b.addAccount(lanAccountDetails(box))]);
  const [uA, uB] = await Promise.all([a.accountUri(accA), b.accountUri(accB)]);
  await Promise.all([a.waitRegistered(accA, 60000), b.waitRegistered(accB, 60000)]);
  const since = a.mark(); const sinceB = b.mark();
  await b.sendConversationRequest(accB, uA);
  await sleep(40000);
  for (const s of a.bus.signals.slice(since)) console.log('A', s.member, JSON.stringify(s.body, (k, v) => typeof v === 'bigint' ? String(v) : v).slice(0, 300));
  for (const s of b.bus.signals.slice(sinceB)) console.log('B', s.member, JSON.stringify(s.body, (k, v) => typeof v === 'bigint' ? String(v) : v).slice(0, 300));
  console.log(JSON.stringify(await a.call('getTrustRequests', 's', [accA])).slice(0, 500));
  console.log(JSON.stringify(await a.call('getConversationRequests', 's', [accA])).slice(0, 500));
  console.log('dirs', a.home, b.home, box.dir);
} finally { console.log(steps.summary()); await td.run(); }

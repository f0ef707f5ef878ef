import { createLan, createSteps, createTeardown, startBox, startJamiDevice, lanAccountDetails, sleep } from '../src/index.js';
const steps = createSteps();
const td = createTeardown();
try {
  const lan = await steps.step('LAN', () => createLan({ tag: 'lbe2', hosts: ['box', 'a'], teardown: td }));
  const box = await steps.step('box', () => startBox({ host: lan.host('box'), teardown: td }));
  const a = await startJamiDevice({ host: lan.host('a'), teardown: td });
  const accA = await a.addAccount(lanAccountDetails(box));
  await a.accountUri(accA); await a.waitRegistered(accA, 60000);
  await sleep(3000);
  const log = await box.coturn!.log();
  console.log(log.split('\n').filter((l) => l.includes('10.77.0.2')).slice(0, 8).join('\n'));
  console.log((await a.jamid.log()).split('\n').filter((l) => /turn/i.test(l)).slice(0, 8).join('\n'));
} finally { await td.run(); }

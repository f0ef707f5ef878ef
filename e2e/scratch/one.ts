import { createLan, createSteps, createTeardown, startBox, startJamiDevice, lanAccountDetails } from '../src/index.js';
const steps = createSteps();
const td = createTeardown();
try {
  const lan = await steps.step('LAN', () => createLan({ tag: 'lbe2', hosts: ['box', 'a'], teardown: td }));
  const box = await steps.step('box', () => startBox({ host: lan.host('box'), teardown: td }));
  console.log(box.dir);
  const a = await steps.step('device a', () => startJamiDevice({ host: lan.host('a'), teardown: td }));
  console.log(a.home);
  const acc = await steps.step('account', () => a.addAccount(lanAccountDetails(box)));
  console.log(acc, await a.accountUri(acc));
  await steps.step('registered', () => a.waitRegistered(acc, 90_000));
  console.log(JSON.stringify((await box.status()).dht).slice(0, 600));
  console.log(JSON.stringify((await box.status()).turn).slice(0, 600));
  console.log(a.bus.signals.map((s) => s.member).join(' '));
} finally { console.log(steps.summary()); console.log(await td.run()); }

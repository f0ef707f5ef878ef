/**
 * Two real Jami devices (jamid 13.7 from Debian's jami-daemon) and the box, each in its own network
 * namespace on a private bridge with no default route: the box (lanbox + its coturn) is the only
 * bootstrap, name server and TURN server the devices know. The whole path a user takes:
 * registration on the DHT, names (first come first served, lookups both ways, unknown and invalid
 * names), a conversation request accepted, text and swarm messages both ways, and the TURN
 * settings pointing at the box's coturn while the box's TURN monitor reports it ok.
 * Needs root and jami-daemon, dbus-daemon, coturn (scripts/install-test-deps.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createLan,
  createSteps,
  createTeardown,
  lanAccountDetails,
  NameLookup,
  NameRegistration,
  startBox,
  startJamiDevice,
  waitFor,
  type Box,
  type Details,
  type JamiDevice,
  type Steps,
} from '../src/index.js';

// jamid's waits: generous, the machine is shared and jamid's first DHT operations take seconds.
const JAMI_MS = 120_000;
const NAME_MS = 30_000;

interface Peer {
  device: JamiDevice;
  account: string;
  uri: string;
}

async function registeredPeer(steps: Steps, device: JamiDevice, details: Details): Promise<Peer> {
  const account = await device.addAccount(details);
  const uri = await steps.step(`${device.name}: Jami ID generated`, () => device.accountUri(account));
  await steps.step(`${device.name}: REGISTERED on the DHT`, () => device.waitRegistered(account, JAMI_MS));
  return { device, account, uri };
}

async function turnOk(box: Box): Promise<{ state: string; summary: string }> {
  return waitFor('the box\'s TURN monitor to report its coturn ok', async () => {
    const turn = (await box.status()).turn;
    return turn.state === 'ok' ? turn : undefined;
  }, { timeoutMs: 90_000, intervalMs: 1000 });
}

test('two Jami devices that know only the box: DHT, names, conversation request, text and swarm messages both ways, TURN', async (t) => {
  const steps = createSteps();
  const teardown = createTeardown();
  const suffix = randomBytes(3).toString('hex');
  try {
    const lan = await steps.step('create the LAN: bridge + namespaces box, a, b (IPv4 only, no default route)', () =>
      createLan({ tag: 'lbe2', hosts: ['box', 'a', 'b'], teardown }));
    const box = await steps.step('start the box: coturn, then lanbox (bundle) on 4222/8080', () => startBox({ host: lan.host('box'), teardown }));
    const [devA, devB] = await steps.step('start jamid a and b (private dbus-daemon, own HOME each)', () =>
      Promise.all([startJamiDevice({ host: lan.host('a'), teardown }), startJamiDevice({ host: lan.host('b'), teardown })]));
    const details = lanAccountDetails(box);
    const [A, B] = await Promise.all([registeredPeer(steps, devA, details), registeredPeer(steps, devB, details)]);
    t.diagnostic(`A ${A.uri} on ${lan.host('a').ip}, B ${B.uri} on ${lan.host('b').ip}, box ${box.ip}`);

    await steps.step('the box holds the devices as good DHT nodes and stores their values', () =>
      waitFor('2 good nodes and stored values in the box', async () => {
        const dht = (await box.status()).dht as unknown as { nodes: { good: number }; storage: { values: number } };
        return dht.nodes.good >= 2 && dht.storage.values >= 2 ? dht : undefined;
      }, { timeoutMs: 60_000, intervalMs: 1000 }));

    // Names: first come, first served.
    const nameA = `alice-${suffix}`;
    const nameB = `bob-${suffix}`;
    assert.equal(await steps.step(`A registers "${nameA}"`, () => A.device.registerName(A.account, nameA, NAME_MS)), NameRegistration.SUCCESS);
    assert.equal(await steps.step(`B is refused "${nameA}"`, () => B.device.registerName(B.account, nameA, NAME_MS)), NameRegistration.ALREADY_TAKEN);
    assert.equal(await steps.step(`B registers "${nameB}"`, () => B.device.registerName(B.account, nameB, NAME_MS)), NameRegistration.SUCCESS);
    const foundA = await steps.step(`B resolves "${nameA}" by name`, () => B.device.lookupName(B.account, nameA, NAME_MS));
    assert.deepEqual(foundA, { status: NameLookup.FOUND, address: A.uri, name: nameA });
    const foundB = await steps.step('A resolves B by address', () => A.device.lookupAddress(A.account, B.uri, NAME_MS));
    assert.deepEqual(foundB, { status: NameLookup.FOUND, address: B.uri, name: nameB });
    const unknown = await steps.step('an unknown name is reported not found', () => A.device.lookupName(A.account, `nobody-${suffix}`, NAME_MS));
    assert.equal(unknown.status, NameLookup.NOT_FOUND);
    const unknownAddress = await steps.step('an unknown address is reported not found', () => A.device.lookupAddress(A.account, randomBytes(20).toString('hex'), NAME_MS));
    assert.equal(unknownAddress.status, NameLookup.NOT_FOUND);
    const invalid = await steps.step('an invalid name is reported invalid', () => A.device.lookupName(A.account, 'no spaces allowed!', NAME_MS));
    assert.equal(invalid.status, NameLookup.INVALID);
    const nameserver = (await box.status()).nameserver as unknown as { names?: number; [k: string]: unknown };
    t.diagnostic(`box name server: ${JSON.stringify(nameserver).slice(0, 400)}`);

    // A conversation request from B, accepted by A.
    const sinceA = A.device.mark();
    const sinceB = B.device.mark();
    await steps.step('B sends A a conversation request (sendTrustRequest)', () => B.device.sendConversationRequest(B.account, A.uri));
    const conversation = await steps.step('A receives the request', () => A.device.waitConversationRequest(A.account, B.uri, { since: sinceA, timeoutMs: JAMI_MS }));
    await steps.step('A accepts; the conversation is ready on A', async () => {
      await A.device.acceptConversationRequest(A.account, conversation);
      await A.device.waitConversationReady(A.account, conversation, { since: sinceA, timeoutMs: JAMI_MS });
    });
    await steps.step('B sees A join the conversation', () =>
      B.device.waitSignal('conversationMemberEvent', (b) => b[0] === B.account && b[1] === conversation && b[2] === A.uri && b[3] === 1, {
        since: sinceB,
        timeoutMs: JAMI_MS,
        what: 'A joining on B',
      }));
    assert.ok((await B.device.conversations(B.account)).includes(conversation));

    // Swarm messages (git commits synced over the devices' ICE/TLS connection), both ways.
    for (const [from, to, label] of [[B, A, 'B → A'], [A, B, 'A → B']] as const) {
      const text = `swarm ${label} ${suffix}`;
      const since = to.device.mark();
      await steps.step(`swarm message ${label}`, async () => {
        await from.device.sendSwarmMessage(from.account, conversation, text);
        const m = await to.device.waitSwarmMessage(to.account, conversation, text, { since, timeoutMs: JAMI_MS });
        assert.equal(m.author, from.uri);
      });
    }
    // Text messages (sendTextMessage: a direct message outside the swarm), both ways.
    for (const [from, to, label] of [[A, B, 'A → B'], [B, A, 'B → A']] as const) {
      const text = `text ${label} ${suffix}`;
      const since = to.device.mark();
      await steps.step(`text message ${label}`, async () => {
        await from.device.sendTextMessage(from.account, to.uri, text);
        await to.device.waitTextMessage(to.account, from.uri, text, { since, timeoutMs: JAMI_MS });
      });
    }

    // TURN: the accounts point at the box's coturn, and the box's monitor finds it working.
    for (const p of [A, B]) {
      const d = await p.device.accountDetails(p.account);
      assert.equal(d['TURN.enable'], 'true');
      assert.equal(d['TURN.server'], box.turnServer);
      assert.equal(d['Account.hostname'], box.bootstrap);
      assert.equal(d['RingNS.uri'], box.nameServer);
    }
    const turn = await steps.step('the box\'s TURN monitor reports its coturn ok', () => turnOk(box));
    t.diagnostic(`box TURN: ${turn.summary}`);
    const coturnLog = await box.coturn!.log();
    t.diagnostic(`coturn sessions from a: ${coturnLog.split(lan.host('a').ip).length - 1}, from b: ${coturnLog.split(lan.host('b').ip).length - 1}`);
  } finally {
    const failures = await steps.step('teardown', () => teardown.run());
    t.diagnostic(`steps:\n${steps.summary()}`);
    assert.deepEqual(failures, []);
  }
});

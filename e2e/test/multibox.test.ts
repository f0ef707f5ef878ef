/**
 * Two buildings, two boxes, one Jami network (issue 15), with real Jami daemons: box 1 and box 2
 * (each lanbox + its coturn) and devices A and B, each in its own namespace on one private bridge.
 * A knows only box 1 (bootstrap, name server, TURN), B only box 2, and the devices' own peer
 * discovery is off, so everything between them goes through the boxes: the boxes find each other
 * by multicast, join their DHTs and share the name registry. B resolves the name A registered on
 * box 1, and B's conversation request and messages reach A.
 * Needs root and jami-daemon, dbus-daemon, coturn (scripts/install-test-deps.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createLan,
  registerParty,
  requestConversation,
  swarmBothWays,
  createSteps,
  createTeardown,
  lanAccountDetails,
  NameLookup,
  NameRegistration,
  startBox,
  startJamiDevice,
  waitFor,
  type Box,
} from '../src/index.js';

const JAMI_MS = 120_000;
const NAME_MS = 30_000;

interface Replication {
  state: string;
  peers: Array<{ id: string | null; state: string; lastSync: number | null }>;
}

async function replication(box: Box): Promise<Replication> {
  return (await box.status()).replication as unknown as Replication;
}

test("device A on box 1, device B on box 2: B resolves A's name registered on box 1, B's request and messages reach A", async (t) => {
  const steps = createSteps();
  const teardown = createTeardown();
  const suffix = randomBytes(3).toString('hex');
  const diagnosable: Array<{ diagnose: () => Promise<string> }> = [];
  try {
    const lan = await steps.step('create the LAN: bridge + namespaces box1, box2, a, b', () =>
      createLan({ tag: 'lbmb', hosts: ['box1', 'box2', 'a', 'b'], teardown }),
    );
    const [box1, box2] = await steps.step('start box 1 and box 2 (coturn + lanbox each, no --peer-box)', () =>
      Promise.all([startBox({ host: lan.host('box1'), teardown }), startBox({ host: lan.host('box2'), teardown })]),
    );
    diagnosable.push(box1, box2);
    await steps.step('the boxes find each other by multicast and complete an exchange', () =>
      waitFor(
        'each box to list the other as up and synced',
        async () => {
          const [r1, r2] = await Promise.all([replication(box1), replication(box2)]);
          const ok = (r: Replication) => r.peers.some((p) => p.state === 'up' && p.lastSync !== null);
          return ok(r1) && ok(r2) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      ),
    );

    const [devA, devB] = await steps.step('start jamid a and b', () =>
      Promise.all([startJamiDevice({ host: lan.host('a'), teardown }), startJamiDevice({ host: lan.host('b'), teardown })]),
    );
    diagnosable.push(devA, devB);
    const [A, B] = await Promise.all([
      registerParty(steps, devA, lanAccountDetails(box1), JAMI_MS),
      registerParty(steps, devB, lanAccountDetails(box2), JAMI_MS),
    ]);
    t.diagnostic(`A ${A.uri} uses box 1 ${box1.ip}; B ${B.uri} uses box 2 ${box2.ip}`);

    const nameA = `alice-${suffix}`;
    assert.equal(await steps.step(`A registers "${nameA}" on box 1`, () => A.device.registerName(A.account, nameA, NAME_MS)), NameRegistration.SUCCESS);
    const found = await steps.step(`B resolves "${nameA}" through box 2`, () => B.device.lookupName(B.account, nameA, NAME_MS));
    assert.deepEqual(found, { status: NameLookup.FOUND, address: A.uri, name: nameA });
    assert.equal(await steps.step(`B is refused "${nameA}" on box 2`, () => B.device.registerName(B.account, nameA, NAME_MS)), NameRegistration.ALREADY_TAKEN);

    // B asks for a conversation at the address it resolved through box 2.
    const conversation = await requestConversation(steps, B, A, found.address, JAMI_MS);
    await swarmBothWays(steps, conversation, A, B, suffix, JAMI_MS);
    const text = `text B → A ${suffix}`;
    const since = A.device.mark();
    await steps.step('text message B → A', async () => {
      await B.device.sendTextMessage(B.account, A.uri, text);
      await A.device.waitTextMessage(A.account, B.uri, text, { since, timeoutMs: JAMI_MS });
    });
    const [s1, s2] = await Promise.all([box1.status(), box2.status()]);
    const names = (s: Awaited<ReturnType<Box['status']>>) => (s.nameserver as unknown as { names: number }).names;
    assert.equal(names(s1), 1);
    assert.equal(names(s2), 1, 'box 2 holds the name registered on box 1');
  } catch (err) {
    for (const d of diagnosable) t.diagnostic(await d.diagnose().catch((e: unknown) => String(e)));
    throw err;
  } finally {
    await teardown.run();
    t.diagnostic(steps.summary());
  }
});

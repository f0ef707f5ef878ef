/**
 * Two real Jami devices (jamid 13.7 from Debian's jami-daemon) and the box, each in its own network
 * namespace on a private bridge with no default route: the box (lanbox + its coturn) is the only
 * bootstrap, name server and TURN server the devices know. The whole path a user takes:
 * registration on the DHT, names (first come first served, lookups both ways, unknown and invalid
 * names), a conversation request accepted, text and swarm messages both ways, and the TURN
 * settings pointing at the box's coturn while the box's TURN monitor reports it ok.
 * Needs root and jami-daemon, dbus-daemon, coturn (scripts/install-test-deps.sh).
 */
import { test, type TestContext } from 'node:test';
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
  proxyAccountDetails,
  NameRegistration,
  startBox,
  startJamiDevice,
  waitFor,
  type Box,
  type Party,
  type Steps,
} from '../src/index.js';

// jamid's waits: generous, the machine is shared and jamid's first DHT operations take seconds.
const JAMI_MS = 120_000;
const NAME_MS = 30_000;

/** The box's DHT proxy port in the proxy run (the appliance's default outside box mode). */
const PROXY_PORT = 8081;

interface ProxyCounters {
  state: string;
  clients: number;
  listens: number;
  keysWatched: number;
  requests: { total: number; put: number; listen: number; get: number };
}

/**
 * nftables counters in the box's namespace for UDP datagrams from each address to the box's DHT
 * port; returns a reader (address → datagrams). The table is the box's namespace's own, gone with
 * the namespace.
 */
async function countDhtDatagrams(box: Box, from: string[]): Promise<() => Promise<Record<string, number>>> {
  const run = box.host.run;
  await run('nft', ['add', 'table', 'inet', 'lbe3']);
  await run('nft', ['add', 'chain', 'inet', 'lbe3', 'in', '{ type filter hook input priority 0; }']);
  for (const ip of from) await run('nft', ['add', 'rule', 'inet', 'lbe3', 'in', 'ip', 'saddr', ip, 'udp', 'dport', String(box.dhtPort), 'counter']);
  return async () => {
    const table = await run('nft', ['list', 'table', 'inet', 'lbe3']);
    const counts: Record<string, number> = {};
    for (const ip of from) {
      const m = new RegExp(`saddr ${ip.replace(/\./g, '\\.')} udp dport ${box.dhtPort} counter packets (\\d+)`).exec(table);
      if (m === null) throw new Error(`no nft counter for ${ip} in the box's namespace:\n${table}`);
      counts[ip] = Number(m[1]);
    }
    return counts;
  };
}

interface TurnServerStatus {
  url: string;
  state: string;
  history?: { checks: number; ok: number; degraded: number; down: number };
}

/** Waits until the box's TURN monitor reports its coturn ok, and returns that server's status. */
async function turnOk(box: Box): Promise<TurnServerStatus> {
  return waitFor(
    "the box's TURN monitor to report its coturn ok",
    async () => {
      const turn = (await box.status()).turn;
      const server = (turn.servers as TurnServerStatus[] | undefined)?.[0];
      return turn.state === 'ok' && server?.state === 'ok' ? server : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
}

interface ScenarioOptions {
  /**
   * Device B reaches the DHT only through the box's DHT proxy (proxyAccountDetails: proxy on, the
   * box's proxy port, no proxy list, a bootstrap where nothing answers) instead of as a DHT node.
   */
  bViaProxy?: boolean;
  /** Extra lanbox flags. */
  boxFlags?: string[];
  /** Called with the box and both peers once both are registered (extra checks for a variant). */
  afterRegistration?: (box: Box, a: Party, b: Party, steps: Steps) => Promise<void>;
}

/**
 * The whole run: LAN, box, two devices, names, request, messages, TURN. Every step printed with
 * its time; on failure, the box's and devices' last log lines and signals are printed; teardown
 * always runs.
 */
async function scenario(t: TestContext, options: ScenarioOptions = {}): Promise<void> {
  const steps = createSteps();
  const teardown = createTeardown();
  const suffix = randomBytes(3).toString('hex');
  const diagnosable: Array<{ diagnose: () => Promise<string> }> = [];
  try {
    const lan = await steps.step('create the LAN: bridge + namespaces box, a, b (IPv4 only, no default route)', () =>
      createLan({ tag: options.bViaProxy === true ? 'lbe3' : 'lbe2', hosts: ['box', 'a', 'b'], teardown }),
    );
    const viaProxy = options.bViaProxy === true;
    const box = await steps.step(`start the box: coturn, then lanbox (bundle) on 4222/8080${viaProxy ? ', DHT proxy on 8081' : ''}`, () =>
      startBox({ host: lan.host('box'), teardown, flags: [...(viaProxy ? ['--proxy-port', String(PROXY_PORT)] : []), ...(options.boxFlags ?? [])] }),
    );
    diagnosable.push(box);
    // Counts the DHT datagrams A and B send the box (nft in the box's namespace): none from B when
    // it uses the proxy, while A's count shows the counters work.
    const dhtDatagrams = viaProxy ? await countDhtDatagrams(box, [lan.host('a').ip, lan.host('b').ip]) : undefined;
    const [devA, devB] = await steps.step('start jamid a and b (private dbus-daemon, own HOME each)', () =>
      Promise.all([startJamiDevice({ host: lan.host('a'), teardown }), startJamiDevice({ host: lan.host('b'), teardown })]),
    );
    diagnosable.push(devA, devB);
    // A bootstrap where nothing answers (an unassigned LAN address): jamid 13.7 refuses an empty one.
    const unusedBootstrap = `${lan.subnet}.254:${box.dhtPort}`;
    const bDetails = viaProxy ? proxyAccountDetails(box, `${box.ip}:${PROXY_PORT}`, unusedBootstrap) : lanAccountDetails(box);
    const [A, B] = await Promise.all([registerParty(steps, devA, lanAccountDetails(box), JAMI_MS), registerParty(steps, devB, bDetails, JAMI_MS)]);
    t.diagnostic(`A ${A.uri} on ${lan.host('a').ip}, B ${B.uri} on ${lan.host('b').ip}, box ${box.ip}`);

    // Through the proxy, B is no DHT node: only A is one, but the box stores both devices' values.
    const nodes = viaProxy ? 1 : 2;
    await steps.step(`the box holds ${viaProxy ? 'A' : 'the devices'} as good DHT node${viaProxy ? '' : 's'} and stores their values`, () =>
      waitFor(
        `${nodes} good node(s) and stored values in the box`,
        async () => {
          const dht = (await box.status()).dht as unknown as { nodes: { good: number }; storage: { values: number } };
          return dht.nodes.good >= nodes && dht.storage.values >= 2 ? dht : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      ),
    );
    if (viaProxy) {
      const proxy = await steps.step("the box's proxy serves B: a client, its puts and its listens", () =>
        waitFor(
          'a proxy client with puts and open listens',
          async () => {
            const p = (await box.status()).proxy as unknown as ProxyCounters;
            return p.state === 'ok' && p.clients >= 1 && p.listens >= 1 && p.requests.put >= 1 && p.requests.listen >= 1 ? p : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 1000 },
        ),
      );
      t.diagnostic(`box proxy: ${proxy.clients} client(s), ${proxy.listens} listens on ${proxy.keysWatched} keys, requests ${JSON.stringify(proxy.requests)}`);
      const v = await B.device.volatileDetails(B.account);
      t.diagnostic(`B volatile proxy server: ${v['Account.proxyServer'] ?? '(none)'}`);
    }
    await options.afterRegistration?.(box, A, B, steps);

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
    const unknownAddress = await steps.step('an unknown address is reported not found', () =>
      A.device.lookupAddress(A.account, randomBytes(20).toString('hex'), NAME_MS),
    );
    assert.equal(unknownAddress.status, NameLookup.NOT_FOUND);
    const invalid = await steps.step('an invalid name is reported invalid', () => A.device.lookupName(A.account, 'no spaces allowed!', NAME_MS));
    assert.equal(invalid.status, NameLookup.INVALID);
    const nameserver = (await box.status()).nameserver as unknown as { names?: number; [k: string]: unknown };
    t.diagnostic(`box name server: ${JSON.stringify(nameserver).slice(0, 400)}`);

    // A conversation request from B, accepted by A, then swarm messages both ways.
    const conversation = await requestConversation(steps, B, A, A.uri, JAMI_MS);
    assert.ok((await B.device.conversations(B.account)).includes(conversation));
    await swarmBothWays(steps, conversation, A, B, suffix, JAMI_MS);
    // Text messages (sendTextMessage: a direct message outside the swarm), both ways.
    for (const [from, to, label] of [
      [A, B, 'A → B'],
      [B, A, 'B → A'],
    ] as const) {
      const text = `text ${label} ${suffix}`;
      const since = to.device.mark();
      await steps.step(`text message ${label}`, async () => {
        await from.device.sendTextMessage(from.account, to.uri, text);
        await to.device.waitTextMessage(to.account, from.uri, text, { since, timeoutMs: JAMI_MS });
      });
    }

    // TURN: the accounts point at the box's coturn, the devices used it (jamid checks its TURN
    // server with an allocation when it connects), and the box's monitor found it ok throughout.
    for (const p of [A, B]) {
      const d = await p.device.accountDetails(p.account);
      assert.equal(d['TURN.enable'], 'true');
      assert.equal(d['TURN.server'], box.turnServer);
      assert.equal(d['RingNS.uri'], box.nameServer);
    }
    await steps.step('coturn logged an authenticated session (ring/ring) from each device', () =>
      waitFor(
        'sessions from both devices in the coturn log',
        async () => {
          const log = await box.coturn!.log();
          const from = (ip: string): boolean => new RegExp(`user <ring> realm <ring> .*remote ${ip.replace(/\./g, '\\.')}:`).test(log);
          return from(lan.host('a').ip) && from(lan.host('b').ip) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      ),
    );
    const turn = await steps.step("the box's TURN monitor reports its coturn ok", () => turnOk(box));
    t.diagnostic(`box TURN monitor: ${turn.url} ${turn.state}, history ${JSON.stringify(turn.history)}`);
    assert.ok((turn.history?.checks ?? 0) >= 1);
    assert.equal(turn.history?.down, 0, 'no failed TURN check during the run');
    if (dhtDatagrams !== undefined) {
      // Still served by the proxy at the end, and never a DHT node of the box.
      const p = (await box.status()).proxy as unknown as ProxyCounters;
      assert.ok(p.clients >= 1 && p.listens >= 1, `B still listening through the proxy: ${JSON.stringify(p)}`);
      const counts = await dhtDatagrams();
      t.diagnostic(`DHT datagrams to the box: ${JSON.stringify(counts)}`);
      assert.ok((counts[lan.host('a').ip] ?? 0) > 0, 'A (a DHT node) was counted');
      assert.equal(counts[lan.host('b').ip], 0, 'no DHT datagram from B reached the box');
    }
  } catch (e) {
    for (const d of diagnosable) t.diagnostic(await d.diagnose().catch((x: Error) => `diagnose failed: ${x.message}`));
    throw e;
  } finally {
    const failures = await steps.step('teardown', () => teardown.run());
    t.diagnostic(`steps:\n${steps.summary()}`);
    assert.deepEqual(failures, []);
  }
}

test('two Jami devices that know only the box: DHT, names, conversation request, text and swarm messages both ways, TURN', (t) => scenario(t));

test("the same with device B behind the box's DHT proxy only (proxy on, no proxy list, no reachable bootstrap): B is no DHT node, everything still works", (t) =>
  scenario(t, { bViaProxy: true }));

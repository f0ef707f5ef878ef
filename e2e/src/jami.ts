/**
 * A real Jami device on a LAN host: `jamid` (Debian's jami-daemon, 13.7 on Debian 12) with its
 * own HOME and its own private D-Bus daemon, run inside the host's network namespace and driven
 * over D-Bus from the test process (the bus socket is a file, so it is reachable across network
 * namespaces). Every call and wait is bounded; stop() and the teardown kill by pid.
 *
 * D-Bus names (jamid 13.7): service cx.ring.Ring, object /cx/ring/Ring/ConfigurationManager,
 * interface cx.ring.Ring.ConfigurationManager. Status codes quoted below are 13.7's.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, type BusClient } from './dbus.js';
import type { LanHost } from './lan.js';
import { startTracked, type Tracked } from './process.js';
import type { Teardown } from './teardown.js';
import { waitFor } from './wait.js';

export const JAMID = '/usr/libexec/jamid';
const SERVICE = 'cx.ring.Ring';
const CONFIG_PATH = '/cx/ring/Ring/ConfigurationManager';
const CONFIG_IFACE = 'cx.ring.Ring.ConfigurationManager';

/** `nameRegistrationEnded` status (jamid 13.7). */
export const NameRegistration = { SUCCESS: 0, WRONG_PASSWORD: 1, INVALID_NAME: 2, ALREADY_TAKEN: 3, NETWORK_ERROR: 4 } as const;
/** `registeredNameFound` status (jamid 13.7). */
export const NameLookup = { FOUND: 0, INVALID: 1, NOT_FOUND: 2, ERROR: 3 } as const;

export type Details = Record<string, string>;

/** Where the box is, as a Jami account needs it. `Box` from box.ts fits. */
export interface BoxAddresses {
  bootstrap: string;
  nameServer: string;
  turnServer: string;
}

/**
 * Account details of a Jami account that knows only the box: bootstrap, name server and TURN
 * server are the box's (exactly what the status page tells users to type), no DHT proxy, no
 * public server anywhere. Peer discovery is off unless overridden, so the box is the only way in.
 * `overrides` are applied last.
 */
export function lanAccountDetails(box: BoxAddresses, overrides: Details = {}): Details {
  return {
    'Account.type': 'RING',
    'Account.alias': 'lanbox e2e',
    'Account.hostname': box.bootstrap,
    'RingNS.uri': box.nameServer,
    'TURN.enable': 'true',
    'TURN.server': box.turnServer,
    'TURN.username': 'ring',
    'TURN.password': 'ring',
    'TURN.realm': 'ring',
    'Account.proxyEnabled': 'false',
    'Account.proxyServer': '',
    'Account.dhtProxyListUrl': '',
    'Account.peerDiscovery': 'false',
    'Account.accountDiscovery': 'false',
    'Account.accountPublish': 'false',
    // No router to talk UPnP to on the LAN; off keeps jamid from waiting on it.
    'Account.upnpEnabled': 'false',
    ...overrides,
  };
}

/**
 * Details for an account that reaches the DHT only through the box's DHT proxy (`proxy` is
 * "IP:PORT", no path). jamid 13.7 refuses an empty bootstrap, so Account.hostname points at
 * `unusedBootstrap`, an address where nothing answers.
 */
export function proxyAccountDetails(box: BoxAddresses, proxy: string, unusedBootstrap: string, overrides: Details = {}): Details {
  return lanAccountDetails(box, {
    'Account.proxyEnabled': 'true',
    'Account.proxyServer': proxy,
    'Account.dhtProxyListUrl': '',
    'Account.hostname': unusedBootstrap,
    ...overrides,
  });
}

export interface LookupResult {
  status: number;
  address: string;
  name: string;
}

export interface JamiDevice {
  readonly name: string;
  readonly host: LanHost;
  /** The device's HOME (jamid keeps accounts under .local/share/jami, cache under .cache/jami). */
  readonly home: string;
  readonly jamid: Tracked;
  readonly dbusDaemon: Tracked;
  readonly bus: BusClient;
  /** A ConfigurationManager method call with an explicit D-Bus signature. */
  call(member: string, signature: string, body: unknown[]): Promise<unknown[]>;
  /** Index of the next signal (take it before acting; pass it as `since` when waiting). */
  mark: BusClient['mark'];
  /** Waits for a ConfigurationManager signal whose body matches. */
  waitSignal: BusClient['waitSignal'];

  /** addAccount(details) → account id. */
  addAccount(details: Details): Promise<string>;
  accountDetails(accountId: string): Promise<Details>;
  volatileDetails(accountId: string): Promise<Details>;
  /** The account's Jami ID (40 hex digits); waits (60 s at most) until jamid has generated it. */
  accountUri(accountId: string): Promise<string>;
  /** Polls Account.registrationStatus until REGISTERED (the account is on the DHT). */
  waitRegistered(accountId: string, timeoutMs: number): Promise<void>;
  /** registerName → the nameRegistrationEnded status (see NameRegistration). */
  registerName(accountId: string, name: string, timeoutMs: number, password?: string): Promise<number>;
  /** lookupName through the account's name server → registeredNameFound. */
  lookupName(accountId: string, name: string, timeoutMs: number): Promise<LookupResult>;
  /** lookupAddress through the account's name server → registeredNameFound. */
  lookupAddress(accountId: string, address: string, timeoutMs: number): Promise<LookupResult>;
  /** addContact: adds the contact and creates the one-to-one conversation locally; sends nothing (13.7). */
  addContact(accountId: string, uri: string): Promise<void>;
  /**
   * sendTrustRequest: what a client's "add contact" sends. Creates the one-to-one conversation if
   * there is none, and sends the peer a conversation request (over the DHT) naming it.
   */
  sendConversationRequest(accountId: string, uri: string, payload?: Uint8Array): Promise<void>;
  /** Waits for conversationRequestReceived from `fromUri` (or any, if undefined) → conversation id. */
  waitConversationRequest(accountId: string, fromUri: string | undefined, options: { since?: number; timeoutMs: number }): Promise<string>;
  acceptConversationRequest(accountId: string, conversationId: string): Promise<void>;
  /** Waits for conversationReady for this conversation. */
  waitConversationReady(accountId: string, conversationId: string, options: { since?: number; timeoutMs: number }): Promise<void>;
  /** The conversations the account has. */
  conversations(accountId: string): Promise<string[]>;
  /** sendMessage: a swarm (git-backed conversation) text message. */
  sendSwarmMessage(accountId: string, conversationId: string, text: string): Promise<void>;
  /** Waits for messageReceived of a text/plain swarm message with this body. */
  waitSwarmMessage(accountId: string, conversationId: string, text: string, options: { since?: number; timeoutMs: number }): Promise<Details>;
  /** sendTextMessage: a direct (non-swarm) text/plain message to a peer → its message id. */
  sendTextMessage(accountId: string, toUri: string, text: string): Promise<bigint>;
  /** Waits for incomingAccountMessage from `fromUri` carrying this text/plain body. */
  waitTextMessage(accountId: string, fromUri: string, text: string, options: { since?: number; timeoutMs: number }): Promise<void>;
  /** The last signals and jamid log lines (colours stripped), for a failure message. */
  diagnose(lines?: number): Promise<string>;
  /** Stops jamid, then its bus (by pid). */
  stop(): Promise<void>;
}

export interface DeviceOptions {
  /** The LAN host jamid runs in. */
  host: LanHost;
  /** A label for logs ("a", "b"). @default host.name */
  name?: string;
  teardown: Teardown;
  /**
   * Parent dir for HOME, the bus socket and logs. @default a new dir under the OS temp dir, removed
   * at teardown unless LANBOX_E2E_KEEP=1 is in the environment
   */
  dir?: string;
  /** jamid's debug log (-d). @default true */
  debug?: boolean;
  /** @default 30000 */
  startTimeoutMs?: number;
}

const asString = (v: unknown): string => (typeof v === 'string' ? v : String(v));

export async function startJamiDevice(options: DeviceOptions): Promise<JamiDevice> {
  const { host, teardown } = options;
  const name = options.name ?? host.name;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `lanbox-e2e-jami-${name}-`)));
  // Registered first, so it runs last: after jamid and its bus have stopped.
  if (options.dir === undefined && process.env.LANBOX_E2E_KEEP !== '1') teardown.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  const socket = join(dir, 'bus');
  const address = `unix:path=${socket}`;

  // A private session bus: jamid owns cx.ring.Ring on it and nothing else shares it.
  const dbusDaemon = startTracked('dbus-daemon', ['--session', '--nofork', '--nopidfile', `--address=${address}`], {
    label: `dbus-daemon of ${name}`,
    logFile: join(dir, 'dbus-daemon.log'),
    teardown,
  });
  await waitFor(
    `the bus socket of ${name}`,
    () => {
      if (!dbusDaemon.running()) throw new Error(`dbus-daemon exited: ${dbusDaemon.tail()}`);
      return existsSync(socket) ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const bus = await connectBus(address);
  teardown.add(`disconnect from the bus of ${name}`, () => bus.disconnect());
  await bus.watch(CONFIG_IFACE);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    DBUS_SESSION_BUS_ADDRESS: address,
    LANG: 'C.UTF-8',
  };
  // -c: log to stdout (our log file), -p: stay alive with no client registered.
  const jamid = startTracked(host.wrap[0]!, [...host.wrap.slice(1), JAMID, '-c', '-p', ...(options.debug === false ? [] : ['-d'])], {
    label: `jamid of ${name}`,
    logFile: join(dir, 'jamid.log'),
    env,
    teardown,
    tailBytes: 256 * 1024,
  });
  await waitFor(
    `jamid of ${name} to own ${SERVICE} on its bus`,
    async () => {
      if (!jamid.running()) throw new Error(`jamid exited: ${jamid.tail().slice(-3000)}`);
      return (await bus.nameHasOwner(SERVICE)) ? true : undefined;
    },
    { timeoutMs: options.startTimeoutMs ?? 30_000, intervalMs: 200 },
  );

  const call = (member: string, signature: string, body: unknown[]): Promise<unknown[]> =>
    bus.call(SERVICE, CONFIG_PATH, CONFIG_IFACE, member, signature, body);
  const waitSignal: JamiDevice['waitSignal'] = (member, match, o) => bus.waitSignal(member, match, o);

  const accountDetails = async (accountId: string): Promise<Details> => (await call('getAccountDetails', 's', [accountId]))[0] as Details;
  const volatileDetails = async (accountId: string): Promise<Details> => (await call('getVolatileAccountDetails', 's', [accountId]))[0] as Details;
  const lookup = async (member: 'lookupName' | 'lookupAddress', accountId: string, query: string, timeoutMs: number): Promise<LookupResult> => {
    const since = bus.mark();
    // With an account id, jamid ignores the server argument and uses the account's RingNS.uri.
    await call(member, 'sss', [accountId, '', query]);
    const field = member === 'lookupName' ? 3 : 2;
    const s = await waitSignal('registeredNameFound', (b) => b[0] === accountId && asString(b[field]).toLowerCase() === query.toLowerCase(), {
      since,
      timeoutMs,
      what: `registeredNameFound for ${member}(${query}) on ${name}`,
    });
    return { status: Number(s.body[1]), address: asString(s.body[2]), name: asString(s.body[3]) };
  };

  let stopped: Promise<void> | undefined;
  return {
    name,
    host,
    home,
    jamid,
    dbusDaemon,
    bus,
    call,
    mark: () => bus.mark(),
    waitSignal,
    async addAccount(details) {
      const [id] = await call('addAccount', 'a{ss}', [details]);
      return asString(id);
    },
    accountDetails,
    volatileDetails,
    accountUri(accountId) {
      // Empty until jamid has generated the account's keys (a second or so after addAccount).
      return waitFor(
        `the Jami ID of account ${accountId} on ${name}`,
        async () => {
          const id = ((await accountDetails(accountId))['Account.username'] ?? '').replace(/^ring:/, '');
          return /^[0-9a-f]{40}$/.test(id) ? id : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    },
    async waitRegistered(accountId, timeoutMs) {
      let last = '';
      await waitFor(
        `account ${accountId} of ${name} to be REGISTERED on the DHT`,
        async () => {
          if (!jamid.running()) throw new Error(`jamid exited: ${jamid.tail().slice(-3000)}`);
          last = (await volatileDetails(accountId))['Account.registrationStatus'] ?? '';
          if (last === 'ERROR_GENERIC' || last === 'ERROR_NETWORK') throw new Error(`registration status ${last}`);
          return last === 'REGISTERED' ? true : undefined;
        },
        { timeoutMs, intervalMs: 500 },
      ).catch((e: Error) => {
        throw new Error(`${e.message} (last status ${last || 'none'})`);
      });
    },
    async registerName(accountId, wanted, timeoutMs, password = '') {
      const since = bus.mark();
      await call('registerName', 'sss', [accountId, password, wanted]);
      const s = await waitSignal('nameRegistrationEnded', (b) => b[0] === accountId && asString(b[2]).toLowerCase() === wanted.toLowerCase(), {
        since,
        timeoutMs,
        what: `nameRegistrationEnded for ${wanted} on ${name}`,
      });
      return Number(s.body[1]);
    },
    lookupName: (accountId, query, timeoutMs) => lookup('lookupName', accountId, query, timeoutMs),
    lookupAddress: (accountId, query, timeoutMs) => lookup('lookupAddress', accountId, query, timeoutMs),
    async addContact(accountId, uri) {
      await call('addContact', 'ss', [accountId, uri]);
    },
    async sendConversationRequest(accountId, uri, payload = new Uint8Array()) {
      await call('sendTrustRequest', 'ssay', [accountId, uri, Buffer.from(payload)]);
    },
    async waitConversationRequest(accountId, fromUri, o) {
      const s = await waitSignal(
        'conversationRequestReceived',
        (b) => {
          if (b[0] !== accountId) return false;
          const meta = (b[2] ?? {}) as Details;
          return fromUri === undefined || meta.from === fromUri;
        },
        { ...o, what: `a conversation request${fromUri ? ` from ${fromUri}` : ''} on ${name}` },
      );
      return asString(s.body[1]);
    },
    async acceptConversationRequest(accountId, conversationId) {
      // jamid 13.7 can emit conversationRequestReceived before the request is in its list; an
      // accept that comes first is dropped ("Request not found for conversation") and nothing is
      // cloned. So accept only once jamid lists the request.
      await waitFor(
        `conversation request ${conversationId} listed on ${name}`,
        async () => {
          const [requests] = await call('getConversationRequests', 's', [accountId]);
          return (requests as Details[]).some((r) => r.id === conversationId) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      await call('acceptConversationRequest', 'ss', [accountId, conversationId]);
    },
    async waitConversationReady(accountId, conversationId, o) {
      await waitSignal('conversationReady', (b) => b[0] === accountId && b[1] === conversationId, {
        ...o,
        what: `conversation ${conversationId} ready on ${name}`,
      });
    },
    async conversations(accountId) {
      const [list] = await call('getConversations', 's', [accountId]);
      return (list as unknown[]).map(asString);
    },
    async sendSwarmMessage(accountId, conversationId, text) {
      // (account, conversation, body, reply-to commit: none, flag 0 = a new message)
      await call('sendMessage', 'ssssi', [accountId, conversationId, text, '', 0]);
    },
    async waitSwarmMessage(accountId, conversationId, text, o) {
      const s = await waitSignal(
        'messageReceived',
        (b) => {
          const m = (b[2] ?? {}) as Details;
          return b[0] === accountId && b[1] === conversationId && m.type === 'text/plain' && m.body === text;
        },
        { ...o, what: `swarm message "${text}" on ${name}` },
      );
      return s.body[2] as Details;
    },
    async sendTextMessage(accountId, toUri, text) {
      const [id] = await call('sendTextMessage', 'ssa{ss}', [accountId, toUri, { 'text/plain': text }]);
      return BigInt(id as bigint | number);
    },
    async waitTextMessage(accountId, fromUri, text, o) {
      await waitSignal(
        'incomingAccountMessage',
        (b) => {
          const payloads = (b[3] ?? {}) as Details;
          // jamid 13.7 emits (account, from, message id, payloads), although its introspection XML
          // names the second and third arguments the other way round.
          return b[0] === accountId && asString(b[1]).replace(/^ring:/, '') === fromUri && payloads['text/plain'] === text;
        },
        { ...o, what: `text message "${text}" from ${fromUri} on ${name}` },
      );
    },
    async diagnose(lines = 60) {
      const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)).slice(0, 300);
      const signals = bus.signals
        .slice(-30)
        .map((x) => `${new Date(x.at).toISOString()} ${x.member} ${json(x.body)}`)
        .join('\n');
      const log = (await jamid.log())
        .replace(/\x1b\[[0-9;]*m/g, '')
        .split('\n')
        .slice(-lines)
        .join('\n');
      return `--- ${name}: last signals\n${signals}\n--- ${jamid.label} (${dir}/jamid.log)\n${log}`;
    },
    stop() {
      stopped ??= (async () => {
        await jamid.stop(10_000);
        bus.disconnect();
        await dbusDaemon.stop();
      })();
      return stopped;
    },
  };
}

/**
 * The appliance's configuration schema: one table that is the single source of truth for the
 * config file keys, the command-line flags, their types, defaults per profile and help text.
 * `load.ts` validates against it and `help.ts` prints it.
 */
import { preview } from './preview.js';
import { parseHostPort, parseTurnUrl, type HostPort, type TurnServer } from './values.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const PROFILES = ['local', 'box'] as const;
/**
 * Which set of embedded defaults applies. `local` suits a developer's machine (unprivileged
 * ports, data in the working directory); `box` is what the systemd unit on the appliance uses.
 */
export type Profile = (typeof PROFILES)[number];

/** The resolved configuration the appliance runs with. */
export interface LanboxConfig {
  /** @default 'local' */
  profile: Profile;
  /** Everything that must survive a restart lives here. @default './.lanbox-data' (local), '/var/lib/lanbox' (box) */
  dataDir: string;
  /** UDP port of the DHT node (IPv4 and IPv6). 0 picks a free port. @default 4222 */
  dhtPort: number;
  /** TCP port of the status page, /api and the name server. 0 picks a free port. @default 8080 (local), 80 (box) */
  webPort: number;
  /** TCP port of the DHT proxy for phones. 0 picks a free port. @default 8081 (local), 8080 (box) */
  proxyPort: number;
  /** Address every listener binds to; null means all interfaces (IPv4 and IPv6). @default null */
  bind: string | null;
  /** DHT nodes to join at start. @default [] (the box never reaches outside unless told) */
  bootstrap: HostPort[];
  /** Multicast local peer discovery. @default true */
  discovery: boolean;
  /** DHT proxy for mobile clients. @default true */
  proxy: boolean;
  /** The box's own push service (ntfy-compatible, for the ntfy app as UnifiedPush distributor). @default true */
  push: boolean;
  /** TCP port of the push service: the URL typed into ntfy is http://<box>:<port>. 0 picks a free port. @default 8082 */
  pushPort: number;
  /** gorush-style gateway for Android (FCM) and iOS (APNs) push subscriptions; null = none (offline LAN). @default null */
  pushGateway: string | null;
  /** Other UnifiedPush servers (`http(s)://host:port` origins) the proxy may post to; the box's own push service is always allowed. @default [] */
  pushAllow: string[];
  /** Jami name server on the web port. @default true */
  nameserver: boolean;
  /** Per-peer rate limits of the DHT; switch off only for benchmarks. @default true */
  rateLimit: boolean;
  /** TURN servers to monitor. @default [turn://ring:ring@127.0.0.1:3478] (the box's own coturn) */
  turn: TurnServer[];
  /** @default 'info' */
  logLevel: LogLevel;
  /**
   * Jami DNS mode: answer the LAN's DNS so that unmodified Jami clients use the box
   * (bootstrap/turn/dhtproxy.jami.net → the box; see docs/zero-config.md). @default false
   */
  jamiDns: boolean;
  /** UDP port of the Jami DNS responder. @default 53 (box), 1053 (local: no root needed) */
  dnsPort: number;
  /** Resolver (an IP address) that gets every name the box does not answer. @default null (REFUSED) */
  dnsUpstream: HostPort | null;
  /**
   * Secret (at least 16 characters) that enables the operator routes: `DELETE /name/<name>` on the
   * name server and `GET /api/names/export`, `POST /api/names/import`. null disables them. @default null
   */
  adminToken: string | null;
  /** Share the name registry with the other lanbox boxes of the site (found by discovery or --peer-box). @default true */
  replication: boolean;
  /** Other boxes' web ports, for links that do not carry multicast. @default [] */
  peerBoxes: HostPort[];
  /**
   * Operator key shared by the boxes of one site (16 to 256 printable characters): removals made
   * here replicate, removals from other boxes are accepted only if made with it. @default null
   */
  siteKey: string | null;
}

/** How one field is read from a JSON config value and from a command-line string. */
export interface FieldSpec {
  key: keyof LanboxConfig;
  /** Flag name without the leading dashes. */
  flag: string;
  kind: 'integer' | 'string' | 'boolean' | 'list' | 'enum';
  /** Shown in --help after the flag, e.g. `N` or `HOST:PORT`. */
  valueName: string;
  description: string;
  /** Human-readable default for --help, per profile. */
  defaultText: (profile: Profile) => string;
  /** Converts one raw value (a CLI string, or a JSON value) to the typed value, or says why not. */
  parse: (raw: unknown) => { ok: true; value: unknown } | { ok: false; error: string };
}

const port = (allowZero: boolean) => (n: unknown) => {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 65535) {
    return { ok: false as const, error: `must be a port number ${allowZero ? '0' : '1'}..65535 (got ${preview(n)})` };
  }
  return { ok: true as const, value: n };
};

const nonEmptyString = (raw: unknown) =>
  typeof raw === 'string' && raw.length > 0 && raw.length <= 4096
    ? { ok: true as const, value: raw }
    : { ok: false as const, error: `must be a non-empty string (got ${preview(raw)})` };

const boolean = (raw: unknown) =>
  typeof raw === 'boolean' ? { ok: true as const, value: raw } : { ok: false as const, error: `must be true or false (got ${preview(raw)})` };

const oneOf = (allowed: readonly string[]) => (raw: unknown) =>
  typeof raw === 'string' && allowed.includes(raw)
    ? { ok: true as const, value: raw }
    : { ok: false as const, error: `must be one of ${allowed.join(', ')} (got ${preview(raw)})` };

const ipAddress = (raw: unknown) => {
  if (raw === null) return { ok: true as const, value: null };
  if (typeof raw !== 'string' || !isIp(raw)) {
    return { ok: false as const, error: `must be an IPv4 or IPv6 address (got ${preview(raw)})` };
  }
  return { ok: true as const, value: raw };
};

function isIp(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s)) return true;
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) && s.length <= 45;
}

const adminToken = (raw: unknown) =>
  raw === null || (typeof raw === 'string' && raw.length >= 16 && raw.length <= 256 && /^[\x21-\x7e]+$/.test(raw))
    ? { ok: true as const, value: raw }
    : { ok: false as const, error: 'must be 16 to 256 printable characters without spaces' };

const dnsUpstream = (raw: unknown) => {
  if (raw === null) return { ok: true as const, value: null };
  const r = parseHostPort(raw, 53);
  if (!r.ok) return r;
  // The responder never resolves names itself (it would ask itself): an address only.
  if (!isIp(r.value.host)) return { ok: false as const, error: `must be an IP address with an optional port (got ${preview(raw)})` };
  return r;
};

/** An http(s) URL; as an origin (`http://host:port`, what the allow-list compares) when `origin`. */
const httpUrl = (origin: boolean) => (raw: unknown) => {
  if (raw === null && !origin) return { ok: true as const, value: null };
  let url: URL | null = null;
  try {
    url = typeof raw === 'string' && raw.length <= 2048 ? new URL(raw) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    return { ok: false as const, error: `must be an http:// or https:// URL (got ${preview(raw)})` };
  }
  return { ok: true as const, value: origin ? url.origin : url.toString() };
};

const fromResult = <T>(r: { ok: true; value: T } | { ok: false; error: string }) => r;

/** Every configurable field, in the order --help lists them. */
export const FIELDS: readonly FieldSpec[] = [
  {
    key: 'profile',
    flag: 'profile',
    kind: 'enum',
    valueName: 'local|box',
    description: 'set of embedded defaults: local (unprivileged ports, ./.lanbox-data) or box (ports 80/8080, /var/lib/lanbox)',
    defaultText: () => 'local',
    parse: oneOf(PROFILES),
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    kind: 'string',
    valueName: 'DIR',
    description: 'directory for everything that survives a restart (DHT identity, name registry, TURN history)',
    defaultText: (p) => (p === 'box' ? '/var/lib/lanbox' : './.lanbox-data'),
    parse: nonEmptyString,
  },
  {
    key: 'dhtPort',
    flag: 'dht-port',
    kind: 'integer',
    valueName: 'N',
    description: 'UDP port of the DHT node, the bootstrap Jami clients join (0 = any free port)',
    defaultText: () => '4222',
    parse: port(true),
  },
  {
    key: 'webPort',
    flag: 'web-port',
    kind: 'integer',
    valueName: 'N',
    description: 'TCP port of the status page, /api/status and the name server (0 = any free port)',
    defaultText: (p) => (p === 'box' ? '80' : '8080'),
    parse: port(true),
  },
  {
    key: 'proxyPort',
    flag: 'proxy-port',
    kind: 'integer',
    valueName: 'N',
    description: 'TCP port of the DHT proxy that phones use (0 = any free port)',
    defaultText: (p) => (p === 'box' ? '8080' : '8081'),
    parse: port(true),
  },
  {
    key: 'bind',
    flag: 'bind',
    kind: 'string',
    valueName: 'ADDR',
    description: 'bind every listener to this address only',
    defaultText: () => 'all interfaces',
    parse: ipAddress,
  },
  {
    key: 'bootstrap',
    flag: 'bootstrap',
    kind: 'list',
    valueName: 'HOST:PORT',
    description: 'DHT node to join at start; repeatable',
    defaultText: () => 'none',
    parse: (raw) => fromResult(parseHostPort(raw, 4222)),
  },
  {
    key: 'discovery',
    flag: 'discovery',
    kind: 'boolean',
    valueName: '',
    description: 'multicast local peer discovery (--no-discovery to turn off)',
    defaultText: () => 'on',
    parse: boolean,
  },
  {
    key: 'proxy',
    flag: 'proxy',
    kind: 'boolean',
    valueName: '',
    description: 'DHT proxy for mobile clients (--no-proxy to turn off)',
    defaultText: () => 'on',
    parse: boolean,
  },
  {
    key: 'push',
    flag: 'push',
    kind: 'boolean',
    valueName: '',
    description: "the box's own push service for the ntfy app (--no-push to turn off)",
    defaultText: () => 'on',
    parse: boolean,
  },
  {
    key: 'pushPort',
    flag: 'push-port',
    kind: 'integer',
    valueName: 'N',
    description: 'TCP port of the push service; phones type http://<box>:N into ntfy (0 = any free port)',
    defaultText: () => '8082',
    parse: port(true),
  },
  {
    key: 'pushGateway',
    flag: 'push-gateway',
    kind: 'string',
    valueName: 'URL',
    description: 'gorush-style gateway (http://host:port) for Android/iOS push subscriptions, for a site that has one',
    defaultText: () => 'none',
    parse: httpUrl(false),
  },
  {
    key: 'pushAllow',
    flag: 'push-allow',
    kind: 'list',
    valueName: 'URL',
    description: "another UnifiedPush server (http://host:port) the proxy may post to; repeatable; the box's own is always allowed",
    defaultText: () => 'none (no open relay)',
    parse: httpUrl(true),
  },
  {
    key: 'nameserver',
    flag: 'nameserver',
    kind: 'boolean',
    valueName: '',
    description: 'Jami name server on the web port (--no-nameserver to turn off)',
    defaultText: () => 'on',
    parse: boolean,
  },
  {
    key: 'rateLimit',
    flag: 'rate-limit',
    kind: 'boolean',
    valueName: '',
    description: 'per-peer DHT rate limits (--no-rate-limit for benchmarks only)',
    defaultText: () => 'on',
    parse: boolean,
  },
  {
    key: 'turn',
    flag: 'turn',
    kind: 'list',
    valueName: 'turn://USER:PASSWORD@HOST:PORT',
    description: "TURN server to monitor; repeatable; replaces the default (realm is taken from the server's challenge)",
    defaultText: () => "turn://ring:ring@127.0.0.1:3478 (the box's coturn)",
    parse: (raw) => fromResult(parseTurnUrl(raw)),
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    kind: 'enum',
    valueName: LOG_LEVELS.join('|'),
    description: 'log verbosity (JSON lines on stdout)',
    defaultText: () => 'info',
    parse: oneOf(LOG_LEVELS),
  },
  {
    key: 'jamiDns',
    flag: 'jami-dns',
    kind: 'boolean',
    valueName: '',
    description:
      'Jami DNS mode: answer DNS for bootstrap/turn/dhtproxy.jami.net with this box so Jami works with nothing typed (only on an offline LAN; see docs/zero-config.md)',
    defaultText: () => 'off',
    parse: boolean,
  },
  {
    key: 'dnsPort',
    flag: 'dns-port',
    kind: 'integer',
    valueName: 'N',
    description: 'UDP port of the Jami DNS responder (clients only ever ask port 53; the local default needs no root)',
    defaultText: (p) => (p === 'box' ? '53' : '1053'),
    parse: port(true),
  },
  {
    key: 'dnsUpstream',
    flag: 'dns-upstream',
    kind: 'string',
    valueName: 'IP[:PORT]',
    description: 'in Jami DNS mode, resolver that gets every other name (without it they are refused at once)',
    defaultText: () => 'none',
    parse: dnsUpstream,
  },
  {
    key: 'adminToken',
    flag: 'admin-token',
    kind: 'string',
    valueName: 'SECRET',
    description:
      'enables operator routes (name removal, registry export/import) for requests with "Authorization: Bearer SECRET"; prefer the config file, flags show in ps',
    defaultText: () => 'none (operator routes off)',
    parse: adminToken,
  },
  {
    key: 'replication',
    flag: 'replication',
    kind: 'boolean',
    valueName: '',
    description: 'share the name registry with the other lanbox boxes of the site (--no-replication to turn off)',
    defaultText: () => 'on',
    parse: boolean,
  },
  {
    key: 'peerBoxes',
    flag: 'peer-box',
    kind: 'list',
    valueName: 'HOST:PORT',
    description: "another lanbox box's web port, for links without multicast; repeatable",
    defaultText: () => 'none (boxes on the same LAN find each other)',
    parse: (raw) => fromResult(parseHostPort(raw, 80)),
  },
  {
    key: 'siteKey',
    flag: 'site-key',
    kind: 'string',
    valueName: 'SECRET',
    description: 'operator key shared by the boxes of one site: name removals made here replicate to the others; prefer the config file',
    defaultText: () => 'none (removals stay on this box)',
    parse: adminToken,
  },
];

/** The embedded defaults for a profile. */
export function defaultsFor(profile: Profile): LanboxConfig {
  const box = profile === 'box';
  return {
    profile,
    dataDir: box ? '/var/lib/lanbox' : './.lanbox-data',
    dhtPort: 4222,
    webPort: box ? 80 : 8080,
    proxyPort: box ? 8080 : 8081,
    bind: null,
    bootstrap: [],
    discovery: true,
    proxy: true,
    push: true,
    pushPort: 8082,
    pushGateway: null,
    pushAllow: [],
    nameserver: true,
    rateLimit: true,
    turn: [{ username: 'ring', password: 'ring', host: '127.0.0.1', port: 3478 }],
    logLevel: 'info',
    jamiDns: false,
    dnsPort: box ? 53 : 1053,
    dnsUpstream: null,
    adminToken: null,
    replication: true,
    peerBoxes: [],
    siteKey: null,
  };
}

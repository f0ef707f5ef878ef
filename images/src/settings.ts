/**
 * The settings file on the card's FAT partition (`lanbox.txt`): what a person can edit from any
 * PC before the first boot. `key=value` lines, `#` comments, every key optional. Parsing is pure
 * and never throws: a bad line is an error message and is otherwise ignored, so a typo never
 * keeps the box from coming up; the errors are shown on the status page.
 */

/** Bigger files are refused whole: the settings never need more than a few keys. */
export const MAX_SETTINGS_BYTES = 64 * 1024;
/** At most this many lines are read; the rest are reported as one error. */
export const MAX_LINES = 500;
/** Public keys are long (RSA 4096 ≈ 750 chars); anything beyond this is not a key. */
export const MAX_VALUE_LENGTH = 2048;
/** At most this many ssh_key lines are honoured. */
export const MAX_SSH_KEYS = 16;
/** At most this many errors are kept (each one line, cut to MAX_ERROR_LENGTH). */
export const MAX_ERRORS = 20;
const MAX_ERROR_LENGTH = 200;

export interface Ipv4Cidr {
  address: string;
  prefix: number;
}

export interface BoxSettings {
  /** @default 'lanbox' (so the box is lanbox.local) */
  hostname: string;
  /** Static IPv4 address with prefix length; null = DHCP with link-local fallback. @default null */
  address: Ipv4Cidr | null;
  /** @default null */
  gateway: string | null;
  /** DNS servers given to the box itself with a static address. @default [] */
  dns: string[];
  /** Public keys allowed to log in as root over SSH; none = SSH off. @default [] */
  sshKeys: string[];
  /** TURN user of the box's coturn and of the TURN monitor. @default ring / ring (Jami's defaults) */
  turnUser: string;
  turnPassword: string;
  /** Serve DHCP on the LAN (only while no other DHCP server answers). @default false */
  dhcpServer: boolean;
  /** First and last address handed out; null = derived from the address (.100 to .250). @default null */
  dhcpRange: { first: string; last: string } | null;
  /** The appliance's Jami DNS mode; with the DHCP server on, clients get the box as DNS. @default false */
  jamiDns: boolean;
}

export interface ParsedSettings {
  settings: BoxSettings;
  /** Keys that were set from the file (valid values only). */
  applied: string[];
  errors: string[];
}

/** The address the box takes when it serves DHCP and the file gives none. */
export const DHCP_DEFAULT_ADDRESS: Ipv4Cidr = { address: '10.48.0.1', prefix: 24 };

export function defaultSettings(): BoxSettings {
  return {
    hostname: 'lanbox',
    address: null,
    gateway: null,
    dns: [],
    sshKeys: [],
    turnUser: 'ring',
    turnPassword: 'ring',
    dhcpServer: false,
    dhcpRange: null,
    jamiDns: false,
  };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return null;
    n = n * 256 + part;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function ipv4(raw: string): Parsed<string> {
  return parseIpv4(raw) === null ? { ok: false, error: `"${raw}" is not an IPv4 address like 192.168.1.2` } : { ok: true, value: raw };
}

function cidr(raw: string): Parsed<Ipv4Cidr> {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(raw);
  const prefix = m === null ? NaN : Number(m[2]);
  if (m === null || parseIpv4(m[1]!) === null || prefix < 8 || prefix > 30) {
    return { ok: false, error: `"${raw}" is not an IPv4 address with a prefix length 8..30, like 192.168.1.2/24` };
  }
  return { ok: true, value: { address: m[1]!, prefix } };
}

function onOff(raw: string): Parsed<boolean> {
  const v = raw.toLowerCase();
  if (['on', 'yes', 'true', '1'].includes(v)) return { ok: true, value: true };
  if (['off', 'no', 'false', '0'].includes(v)) return { ok: true, value: false };
  return { ok: false, error: `"${raw}" is not on or off` };
}

function hostname(raw: string): Parsed<string> {
  // One DNS label (RFC 1123): what avahi publishes as NAME.local.
  return /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(raw)
    ? { ok: true, value: raw.toLowerCase() }
    : { ok: false, error: `"${raw}" is not a host name (letters, digits and "-", at most 63)` };
}

function sshKey(raw: string): Parsed<string> {
  const m =
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,3})( [\x20-\x7e]*)?$/.exec(
      raw,
    );
  return m === null ? { ok: false, error: 'is not an OpenSSH public key line (type, base64 key, optional comment)' } : { ok: true, value: raw };
}

function credential(raw: string): Parsed<string> {
  // coturn's "user=NAME:PASSWORD" line and a turn:// URL both have to carry it unquoted.
  return /^[A-Za-z0-9._~-]{1,64}$/.test(raw) ? { ok: true, value: raw } : { ok: false, error: 'must be 1 to 64 letters, digits or . _ ~ -' };
}

function range(raw: string): Parsed<{ first: string; last: string }> {
  const parts = raw.split(',').map((p) => p.trim());
  const a = parts.length === 2 ? parseIpv4(parts[0]!) : null;
  const b = parts.length === 2 ? parseIpv4(parts[1]!) : null;
  if (a === null || b === null || a > b) return { ok: false, error: `"${raw}" is not FIRST,LAST IPv4 addresses in order` };
  return { ok: true, value: { first: parts[0]!, last: parts[1]! } };
}

const clip = (s: string) => (s.length > MAX_ERROR_LENGTH ? `${s.slice(0, MAX_ERROR_LENGTH)}…` : s);

/** Parses the settings file's text. Never throws; unknown keys and bad values become errors. */
export function parseSettings(text: string): ParsedSettings {
  const settings = defaultSettings();
  const applied = new Set<string>();
  const errors: string[] = [];
  const error = (msg: string) => {
    if (errors.length < MAX_ERRORS) errors.push(clip(msg));
  };
  if (text.length > MAX_SETTINGS_BYTES) {
    error(`the file is larger than ${MAX_SETTINGS_BYTES} bytes and was ignored`);
    return { settings, applied: [], errors };
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  if (lines.length > MAX_LINES) error(`only the first ${MAX_LINES} lines were read`);
  const seen = new Set<string>();
  lines.slice(0, MAX_LINES).forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `line ${i + 1}`;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      error(`${at}: expected key=value`);
      return;
    }
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (value.length > MAX_VALUE_LENGTH) {
      error(`${at}: the value of ${key.slice(0, 40)} is longer than ${MAX_VALUE_LENGTH} characters`);
      return;
    }
    if (key !== 'ssh_key' && key !== 'dns' && seen.has(key)) {
      error(`${at}: ${key} is set twice; the first value is kept`);
      return;
    }
    seen.add(key);
    const set = <T>(r: Parsed<T>, apply: (v: T) => void) => {
      if (r.ok) {
        apply(r.value);
        applied.add(key);
      } else {
        error(`${at}: ${key}: ${r.error}`);
      }
    };
    switch (key) {
      case 'hostname':
        set(hostname(value), (v) => {
          settings.hostname = v;
        });
        break;
      case 'address':
        set(cidr(value), (v) => {
          settings.address = v;
        });
        break;
      case 'gateway':
        set(ipv4(value), (v) => {
          settings.gateway = v;
        });
        break;
      case 'dns':
        set(ipv4(value), (v) => {
          if (settings.dns.length < 4) settings.dns.push(v);
        });
        break;
      case 'ssh_key':
        if (settings.sshKeys.length >= MAX_SSH_KEYS) error(`${at}: more than ${MAX_SSH_KEYS} ssh_key lines; ignored`);
        else
          set(sshKey(value), (v) => {
            settings.sshKeys.push(v);
          });
        break;
      case 'turn_user':
        set(credential(value), (v) => {
          settings.turnUser = v;
        });
        break;
      case 'turn_password':
        set(credential(value), (v) => {
          settings.turnPassword = v;
        });
        break;
      case 'dhcp_server':
        set(onOff(value), (v) => {
          settings.dhcpServer = v;
        });
        break;
      case 'dhcp_range':
        set(range(value), (v) => {
          settings.dhcpRange = v;
        });
        break;
      case 'jami_dns':
        set(onOff(value), (v) => {
          settings.jamiDns = v;
        });
        break;
      default:
        error(`${at}: unknown setting "${key.slice(0, 40)}"`);
    }
  });
  // Cross-field checks: a half-given setting is reported, and the defaults stay.
  if (applied.has('gateway') && settings.address === null) {
    error('gateway is set without address; ignored (the box uses DHCP)');
    settings.gateway = null;
    applied.delete('gateway');
  }
  if (settings.dhcpRange !== null) {
    const net = dhcpNetwork(settings);
    const first = parseIpv4(settings.dhcpRange.first)!;
    const last = parseIpv4(settings.dhcpRange.last)!;
    if (net === null || !inNet(first, net) || !inNet(last, net)) {
      error("dhcp_range is not inside the box's own network (address=); the default range is used");
      settings.dhcpRange = null;
      applied.delete('dhcp_range');
    }
  }
  return { settings, applied: [...applied], errors };
}

interface Net {
  base: number;
  size: number;
}

function inNet(n: number, net: Net): boolean {
  return n > net.base && n < net.base + net.size - 1;
}

function dhcpNetwork(s: BoxSettings): Net | null {
  const a = s.address ?? (s.dhcpServer ? DHCP_DEFAULT_ADDRESS : null);
  if (a === null) return null;
  const size = 2 ** (32 - a.prefix);
  const n = parseIpv4(a.address)!;
  return { base: n - (n % size), size };
}

/** What the DHCP server hands out: the settings' range, or .100–.250 of the box's /24-ish network. */
export function dhcpPlan(s: BoxSettings): { address: Ipv4Cidr; first: string; last: string; netmask: string } {
  const address = s.address ?? DHCP_DEFAULT_ADDRESS;
  const net = dhcpNetwork({ ...s, address })!;
  const netmask = formatIpv4(2 ** 32 - net.size);
  if (s.dhcpRange !== null) return { address, first: s.dhcpRange.first, last: s.dhcpRange.last, netmask };
  // A quarter to nearly the end of the network, skipping the box's own address.
  const own = parseIpv4(address.address)!;
  let first = net.base + Math.max(2, Math.floor(net.size * 0.4));
  const last = net.base + net.size - 6;
  if (own >= first && own <= last) first = own + 1;
  return { address, first: formatIpv4(first), last: formatIpv4(Math.max(first, last)), netmask };
}

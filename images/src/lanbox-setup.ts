/**
 * lanbox-setup (runs as root at every boot, before the network and the appliance): reads the
 * settings file from the FAT partition and applies it for this boot. Everything it writes is under
 * /run (RAM), so the card sees no writes and removing a setting undoes it at the next boot; the
 * only exceptions are the host name (written to /etc/hostname when it changed) and SSH host keys
 * (made once by sshd-keygen). Errors in the file are written to /run/lanbox/box-status.json for
 * the status page and never stop the boot.
 *
 * LANBOX_ROOT (tests only) prefixes every path.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DHCP_DEFAULT_ADDRESS, MAX_SETTINGS_BYTES, dhcpPlan, parseSettings, type BoxSettings } from './settings.js';

const root = process.env.LANBOX_ROOT ?? '/';
const at = (p: string) => join(root, p);
export const SETTINGS_FILE = '/boot/firmware/lanbox.txt';
const RUN = '/run/lanbox';

function readBounded(path: string): { text: string | null; error: string | null } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { text: null, error: null };
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_SETTINGS_BYTES) return { text: null, error: `the file is larger than ${MAX_SETTINGS_BYTES} bytes and was ignored` };
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, 0);
    return { text: buf.subarray(0, n).toString('utf8'), error: null };
  } catch (err) {
    return { text: null, error: `could not be read: ${(err as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

function write(path: string, text: string, mode = 0o644, group?: string): void {
  mkdirSync(dirname(at(path)), { recursive: true });
  writeFileSync(at(path), text, { mode });
  chmodSync(at(path), mode);
  if (group !== undefined && root === '/') {
    const gid = groupId(group);
    if (gid !== null) chownSync(at(path), 0, gid);
  }
}

function groupId(name: string): number | null {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    return line === undefined ? null : Number(line.split(':')[2]);
  } catch {
    return null;
  }
}

function staticNetwork(s: BoxSettings): string | null {
  const address = s.address ?? (s.dhcpServer ? DHCP_DEFAULT_ADDRESS : null);
  if (address === null) return null;
  return [
    '# Written by lanbox-setup from the settings file at every boot.',
    '[Match]',
    'Type=ether',
    '',
    '[Network]',
    `Address=${address.address}/${address.prefix}`,
    ...(s.gateway !== null ? [`Gateway=${s.gateway}`] : []),
    ...s.dns.map((d) => `DNS=${d}`),
    // Still reachable on fe80:: and 169.254/16 from a laptop that has no address in our network.
    'LinkLocalAddressing=yes',
    'IPv6AcceptRA=yes',
    '',
  ].join('\n');
}

/** Does this appliance build know the Jami DNS mode (config key jamiDns)? Its --help lists the flag. */
function applianceHasJamiDns(): boolean {
  try {
    const help = execFileSync('/usr/bin/node', [at('/opt/lanbox/lanbox.mjs'), '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return help.includes('--jami-dns');
  } catch {
    return false;
  }
}

/** Is the FAT partition mounted? If its device appeared too late, the settings file is not there to read. */
function fatMounted(): boolean {
  try {
    return readFileSync(at('/proc/self/mounts'), 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === '/boot/firmware');
  } catch {
    return false;
  }
}

function main(): void {
  const mounted = root !== '/' || fatMounted();
  const read = readBounded(at(SETTINGS_FILE));
  const parsed = read.text === null ? { ...parseSettings(''), errors: read.error === null ? [] : [read.error] } : parseSettings(read.text);
  const s = parsed.settings;
  const errors = [...parsed.errors];
  if (!mounted)
    errors.push('the FAT partition (LANBOXBOOT) was not mounted in time, so lanbox.txt could not be read: the box runs with the defaults until the next boot');

  // Host name: the kernel's now (avahi publishes it as NAME.local), /etc/hostname only if changed.
  try {
    writeFileSync(at('/proc/sys/kernel/hostname'), s.hostname);
  } catch (err) {
    errors.push(`hostname: could not be set (${(err as Error).message})`);
  }
  const current = existsSync(at('/etc/hostname')) ? readFileSync(at('/etc/hostname'), 'utf8').trim() : '';
  if (current !== s.hostname) {
    write('/etc/hostname', `${s.hostname}\n`);
    const hosts = `127.0.0.1\tlocalhost\n127.0.1.1\t${s.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
    write('/etc/hosts', hosts);
  }

  // Static address (also implied by the DHCP server, which needs a fixed address to serve from).
  const net = staticNetwork(s);
  if (net !== null) write('/run/systemd/network/10-lanbox.network', net);

  // SSH: on only with a key, and the keys live in RAM (sshd_config.d/lanbox.conf points there).
  if (s.sshKeys.length > 0) {
    write(`${RUN}/ssh/root.keys`, `${s.sshKeys.join('\n')}\n`, 0o600);
    // Host keys are made on the box, never shipped (Debian's sshd-keygen only runs when systemd
    // thinks it is the first boot, which an empty machine-id is not). Written once.
    if (root === '/' && !existsSync('/etc/ssh/ssh_host_ed25519_key')) {
      try {
        execFileSync('/usr/bin/ssh-keygen', ['-A'], { stdio: 'ignore', timeout: 120_000 });
      } catch (err) {
        errors.push(`SSH host keys could not be made (${(err as Error).message})`);
      }
    }
  }

  // coturn and the TURN monitor share the TURN user.
  try {
    const base = readFileSync(at('/etc/turnserver.conf'), 'utf8');
    write(`${RUN}/turnserver.conf`, base.replace(/^user=.*$/m, `user=${s.turnUser}:${s.turnPassword}`), 0o640, 'turnserver');
  } catch (err) {
    errors.push(`TURN: /etc/turnserver.conf could not be read (${(err as Error).message})`);
  }
  let jamiDns = false;
  if (s.jamiDns) {
    jamiDns = applianceHasJamiDns();
    if (!jamiDns) errors.push('jami_dns=on: this lanbox build has no Jami DNS mode; ignored');
  }
  const applianceConfig: Record<string, unknown> = { turn: [`turn://${s.turnUser}:${s.turnPassword}@127.0.0.1:3478`] };
  if (jamiDns) applianceConfig.jamiDns = true;
  write(`${RUN}/lanbox.json`, `${JSON.stringify(applianceConfig, null, 2)}\n`, 0o640, 'lanbox');

  // The DHCP server's plan; lanbox-dhcp decides whether it may serve.
  const plan = dhcpPlan(s);
  write(`${RUN}/dhcp.json`, `${JSON.stringify({ enabled: s.dhcpServer, ...plan, dns: jamiDns }, null, 2)}\n`);
  if (s.dhcpServer) {
    write(`${RUN}/dhcp-enabled`, '');
  } else {
    // lanbox-dhcp does not even start; the status page still says why there is no DHCP server.
    const off = {
      mode: 'off',
      serving: false,
      reason: "off: dhcp_server is not on in the settings file (the default); the LAN's DHCP server or link-local addresses are used",
      checkedAt: new Date().toISOString(),
    };
    write(`${RUN}/dhcp-status.json`, `${JSON.stringify(off, null, 2)}\n`);
  }

  const status = {
    settingsFile: {
      path: SETTINGS_FILE,
      present: read.text !== null || read.error !== null,
      applied: parsed.applied.sort(),
      errors,
    },
    hostname: s.hostname,
    address:
      net === null ? 'DHCP, link-local fallback' : `${(s.address ?? DHCP_DEFAULT_ADDRESS).address}/${(s.address ?? DHCP_DEFAULT_ADDRESS).prefix} (static)`,
    ssh: s.sshKeys.length > 0 ? `on (${s.sshKeys.length} key${s.sshKeys.length === 1 ? '' : 's'})` : 'off (no ssh_key in the settings file)',
    turnUser: s.turnUser,
    jamiDns,
    writtenAt: new Date().toISOString(),
  };
  write(`${RUN}/box-status.json`, `${JSON.stringify(status, null, 2)}\n`);
  process.stdout.write(`lanbox-setup: ${parsed.applied.length} settings applied, ${errors.length} errors${errors.map((e) => `\n  ${e}`).join('')}\n`);
}

main();
